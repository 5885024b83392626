package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A retry on another pod is a call of its own: it leaves the connection of the pod it left as it
 * was, shared over HTTP/2 or kept alive over HTTP/1.1, for the calls that come next.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SharedConnectionsTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final List<MockWebServer> servers = new ArrayList<>();
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        servers.forEach(MockWebServer::close);
    }

    /** A pod whose first answer is a 503 when {@code unavailable} is given, every other a 200. */
    private MockWebServer pod(String ip, List<Protocol> protocols, AtomicInteger unavailable) throws IOException {
        MockWebServer server = new MockWebServer();
        server.setServerSocketFactory(new NoDelayServerSocketFactory());
        if (protocols != null) {
            server.setProtocols(protocols);
        }
        AtomicInteger seen = new AtomicInteger();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (seen.getAndIncrement() == 0 && unavailable != null) {
                    unavailable.incrementAndGet();
                    return new MockResponse.Builder().code(503).body("busy").build();
                }
                return new MockResponse.Builder().body(ip).build();
            }
        });
        server.start(InetAddress.getByName(ip), 0);
        servers.add(server);
        return server;
    }

    private void retryOnAnotherPodLeavesTheFirstPodsConnectionInUse(List<Protocol> protocols) throws Exception {
        AtomicInteger unavailable = new AtomicInteger();
        MockWebServer a = pod("127.0.0.2", protocols, unavailable);
        MockWebServer b = pod("127.0.0.3", protocols, null);
        interceptor = LoadBalancingInterceptor.builder().service(BalancedService.builder(HOST)
                .target("static:///127.0.0.2:" + a.getPort() + ",127.0.0.3:" + b.getPort())
                .picker(Pickers.roundRobin()).retryOnStatus(503).backoff(Backoff.none())
                .ejection(EjectionPolicy.disabled()).build()).build();
        OkHttpClient.Builder builder = new OkHttpClient.Builder().addInterceptor(interceptor);
        if (protocols != null) {
            builder.protocols(protocols);
        }
        OkHttpClient client = builder.build();

        for (int i = 0; i < 8; i++) {
            try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute()) {
                assertThat(response.code()).isEqualTo(200);
                response.body().string();
            }
        }

        assertThat(unavailable.get()).as("503s answered").isEqualTo(1);
        for (MockWebServer pod : List.of(a, b)) {
            assertThat(pod.getRequestCount()).as("requests to a pod").isGreaterThanOrEqualTo(4);
            List<Integer> connections = new ArrayList<>();
            for (int r = 0; r < pod.getRequestCount(); r++) {
                connections.add(pod.takeRequest().getConnectionIndex());
            }
            assertThat(connections).as("connection of each request to %s", pod).containsOnly(0);
        }
    }

    @Test
    void retryOnAnotherPodLeavesTheFirstPodsHttp2ConnectionShared() throws Exception {
        retryOnAnotherPodLeavesTheFirstPodsConnectionInUse(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
    }

    @Test
    void retryOnAnotherPodKeepsTheFirstPodsHttp1KeepAliveConnection() throws Exception {
        retryOnAnotherPodLeavesTheFirstPodsConnectionInUse(null);
    }
}
