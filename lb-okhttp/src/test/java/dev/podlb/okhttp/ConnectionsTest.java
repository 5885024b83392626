package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connections follow the pods: one pool per pod, however many pods; and enqueued calls are not held to 5 per service. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConnectionsTest {
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

    @Test
    void roundRobinOverEightyPodsKeepsOneConnectionToEach() throws Exception {
        // 80 pods: 10 ports on each of 127.0.0.2-9, more than a single pool of 64 idle connections holds.
        StringBuilder target = new StringBuilder("static:///");
        for (int ip = 2; ip <= 9; ip++) {
            for (int p = 0; p < 10; p++) {
                MockWebServer pod = new MockWebServer();
                pod.setServerSocketFactory(new NoDelayServerSocketFactory());
                pod.setDispatcher(new Dispatcher() {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                        return new MockResponse.Builder().body("ok").build();
                    }
                });
                pod.start(InetAddress.getByName("127.0.0." + ip), 0);
                servers.add(pod);
                target.append(servers.size() == 1 ? "" : ",").append("127.0.0.").append(ip).append(':').append(pod.getPort());
            }
        }
        interceptor = LoadBalancingInterceptor.builder().service(HOST, target.toString()).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();

        for (int i = 0; i < 3 * servers.size(); i++) {
            try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute()) {
                assertThat(response.body().string()).isEqualTo("ok");
            }
        }

        int opened = 0;
        for (MockWebServer pod : servers) {
            assertThat(pod.getRequestCount()).isEqualTo(3);
            Set<Integer> connections = new HashSet<>();
            for (int r = 0; r < 3; r++) {
                connections.add(pod.takeRequest().getConnectionIndex());
            }
            opened += connections.size();
        }
        assertThat(opened).as("connections opened for 240 calls over 80 pods").isEqualTo(80);
        assertThat(interceptor.idleConnectionCount()).isEqualTo(80);
    }

    @Test
    void theConnectionsOfAPodThatLeftALoadBalancerTheApplicationGaveAreClosed() throws Exception {
        try (LocalPods pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")) {
            pods.behaviour(ip -> new MockResponse.Builder().body(ip).build());
            List<Endpoint> first = new ArrayList<>();
            for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
                first.add(Endpoint.of(ip, pods.port()));
            }
            StaticResolver resolver = StaticResolver.of(first);
            try (LoadBalancer lb = LoadBalancer.builder(HOST).resolver(resolver).build()) {
                interceptor = LoadBalancingInterceptor.builder()
                        .service(BalancedService.builder(HOST).loadBalancer(lb).build()).build();
                OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
                Set<String> reached = new HashSet<>();
                for (int i = 0; i < 9; i++) {
                    reached.add(get(client, pods.port()));
                }
                assertThat(reached).hasSize(3);
                assertThat(interceptor.idleConnectionCount()).isEqualTo(3);

                // A rollout: 127.0.0.4 leaves and 127.0.0.5 comes, told only to the application's load balancer.
                resolver.update(List.of(first.get(0), first.get(1), Endpoint.of("127.0.0.5", pods.port())));
                await().atMost(Duration.ofSeconds(10)).until(() -> lb.endpoints().find(first.get(2).socketAddress()) == null);
                for (int i = 0; i < 9; i++) {
                    reached.add(get(client, pods.port()));
                }

                assertThat(reached).contains("127.0.0.5");
                assertThat(interceptor.connectionCount()).as("connections held: one per pod in the set").isEqualTo(3);
            }
        }
    }

    private static String get(OkHttpClient client, int port) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + port + "/").build()).execute()) {
            return response.body().string();
        }
    }

    @Test
    void enqueuedCallsAreNotHeldToFivePerService() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrived = new AtomicInteger();
        try (LocalPods pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            pods.behaviour(ip -> {
                arrived.incrementAndGet();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new MockResponse.Builder().body(ip).build();
            });
            interceptor = LoadBalancingInterceptor.builder()
                    .service(HOST, "static:///127.0.0.2:" + pods.port() + ",127.0.0.3:" + pods.port() + ",127.0.0.4:" + pods.port())
                    .build();
            OkHttpClient client = interceptor.newClientBuilder().build();
            AtomicInteger answered = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(12);
            for (int i = 0; i < 12; i++) {
                client.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build()).enqueue(new Callback() {
                    @Override
                    public void onFailure(Call call, IOException e) {
                        done.countDown();
                    }

                    @Override
                    public void onResponse(Call call, Response response) {
                        response.close();
                        answered.incrementAndGet();
                        done.countDown();
                    }
                });
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> arrived.get() == 12);
            release.countDown();
            assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(answered.get()).isEqualTo(12);
            client.dispatcher().executorService().shutdown();
        }
    }
}
