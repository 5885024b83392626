package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.health.EjectionPolicy;
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
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A request goes to another pod only when that is safe: an unprocessed request (refused stream,
 * GOAWAY above the last stream) is sent again only when its body can be written again. HTTP/2 pods
 * with prior knowledge on 127.0.0.2–3.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RetrySafetyTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final List<Protocol> H2C = List.of(Protocol.H2_PRIOR_KNOWLEDGE);

    private final List<MockWebServer> servers = new ArrayList<>();
    private final RecordingListener heard = new RecordingListener();
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        servers.forEach(MockWebServer::close);
    }

    /** A body that can be written once, as a stream from a file or a socket: a second write sends nothing. */
    static final class OneShotBody extends RequestBody {
        final AtomicInteger writes = new AtomicInteger();
        private final String content;

        OneShotBody(String content) {
            this.content = content;
        }

        @Override
        public MediaType contentType() {
            return MediaType.get("text/plain");
        }

        @Override
        public boolean isOneShot() {
            return true;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            if (writes.incrementAndGet() == 1) {
                sink.writeUtf8(content);
            }
        }
    }

    private MockWebServer h2Pod(String ip, Dispatcher dispatcher) throws IOException {
        MockWebServer server = new MockWebServer();
        server.setProtocols(H2C);
        server.setDispatcher(dispatcher);
        server.start(InetAddress.getByName(ip), 0);
        servers.add(server);
        return server;
    }

    private static Dispatcher answering(AtomicInteger count) {
        return new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                count.incrementAndGet();
                return new MockResponse.Builder().body("taken " + request.getBody().utf8()).build();
            }
        };
    }

    private OkHttpClient client(String target) {
        interceptor = LoadBalancingInterceptor.builder().service(BalancedService.builder(HOST).target(target)
                .picker(dev.podlb.core.pick.Pickers.roundRobin()).ejection(EjectionPolicy.disabled()).build())
                .listener(heard).build();
        return new OkHttpClient.Builder().addInterceptor(interceptor).protocols(H2C).build();
    }

    @Test
    void oneShotPostRefusedByItsStreamIsNeverWrittenTwice() throws Exception {
        AtomicInteger refused = new AtomicInteger();
        MockWebServer refusing = h2Pod("127.0.0.2", new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().body("processed").build();
            }

            @Override
            public MockResponse peek() {
                refused.incrementAndGet();
                return new MockResponse.Builder()
                        .onRequestStart(new SocketEffect.CloseStream(okhttp3.internal.http2.ErrorCode.REFUSED_STREAM.getHttpCode()))
                        .build();
            }
        });
        AtomicInteger taken = new AtomicInteger();
        MockWebServer healthy = h2Pod("127.0.0.3", answering(taken));
        OkHttpClient client = client("static:///127.0.0.2:" + refusing.getPort() + ",127.0.0.3:" + healthy.getPort());

        OneShotPosts posts = OneShotPosts.send(client, "http://" + HOST + ":" + healthy.getPort() + "/orders", 4);

        assertThat(refused.get()).as("streams refused").isPositive();
        assertThat(posts.failed).as("POSTs whose stream was refused").isEqualTo(2);
        assertThat(posts.failures).allSatisfy(e -> assertThat(e).hasMessageContaining("REFUSED_STREAM"));
        assertThat(posts.writes).as("writes of each one-shot body").allMatch(w -> w <= 1);
        assertThat(taken.get()).as("requests the other pod received").isEqualTo(posts.succeeded);
    }

    /** Round-robin over two pods: of {@code count} one-shot POSTs, half go to each pod first. */
    record OneShotPosts(int succeeded, int failed, List<IOException> failures, List<Integer> writes) {
        static OneShotPosts send(OkHttpClient client, String url, int count) {
            List<IOException> failures = new ArrayList<>();
            List<Integer> writes = new ArrayList<>();
            int succeeded = 0;
            for (int i = 0; i < count; i++) {
                OneShotBody body = new OneShotBody("order " + i);
                try (Response response = client.newCall(new Request.Builder().url(url).post(body).build()).execute()) {
                    assertThat(response.body().string()).isEqualTo("taken order " + i);
                    succeeded++;
                } catch (IOException e) {
                    failures.add(e);
                }
                writes.add(body.writes.get());
            }
            return new OneShotPosts(succeeded, failures.size(), failures, writes);
        }
    }

    @Test
    void oneShotPostUnderGoawayAboveTheLastStreamIsNeverWrittenTwice() throws Exception {
        AtomicInteger taken = new AtomicInteger();
        try (GoawayPod going = new GoawayPod("127.0.0.2")) {
            MockWebServer healthy = h2Pod("127.0.0.3", answering(taken));
            OkHttpClient client = client("static:///127.0.0.2:" + going.port() + ",127.0.0.3:" + healthy.getPort());

            OneShotPosts posts = OneShotPosts.send(client, "http://" + HOST + ":" + healthy.getPort() + "/orders", 4);

            assertThat(going.goaways.get()).as("GOAWAY frames sent, failures %s", posts.failures).isEqualTo(2);
            assertThat(posts.failed).as("POSTs the GOAWAY stopped").isEqualTo(2);
            assertThat(posts.writes).as("writes of each one-shot body").allMatch(w -> w <= 1);
            assertThat(taken.get()).as("requests the other pod received").isEqualTo(posts.succeeded);
        }
    }

    @Test
    void repeatablePostUnderGoawayAboveTheLastStreamIsRetriedWhole() throws Exception {
        AtomicInteger taken = new AtomicInteger();
        try (GoawayPod going = new GoawayPod("127.0.0.2")) {
            MockWebServer healthy = h2Pod("127.0.0.3", answering(taken));
            OkHttpClient client = client("static:///127.0.0.2:" + going.port() + ",127.0.0.3:" + healthy.getPort());

            // Round-robin over the two pods (retries take their turn too): a call goes first to the pod sending GOAWAY.
            for (int i = 0; i < 2; i++) {
                String order = ("order " + i + " ").repeat(2000);
                Request post = new Request.Builder().url("http://" + HOST + ":" + healthy.getPort() + "/orders")
                        .post(RequestBody.create(order, MediaType.get("text/plain"))).build();
                try (Response response = client.newCall(post).execute()) {
                    assertThat(response.body().string()).isEqualTo("taken " + order);
                }
            }

            assertThat(going.goaways.get()).as("GOAWAY frames sent").isPositive().isEqualTo(heard.retries.get());
            assertThat(taken.get()).isEqualTo(2);
        }
    }
}
