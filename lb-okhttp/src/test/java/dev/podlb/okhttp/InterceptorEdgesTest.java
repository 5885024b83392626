package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.testing.LocalPods;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TLS, port mapping, routes, timeouts, cancellation, cut bodies and events, over pods on 127.0.0.2–3. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class InterceptorEdgesTest {
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

    private MockWebServer pod(String ip, int port, HandshakeCertificates tls) throws IOException {
        MockWebServer server = new MockWebServer();
        if (tls != null) {
            server.useHttps(tls.sslSocketFactory());
        }
        server.start(InetAddress.getByName(ip), port);
        servers.add(server);
        return server;
    }

    private OkHttpClient.Builder client(LoadBalancingInterceptor.Builder builder) {
        interceptor = builder.build();
        return new OkHttpClient.Builder().addInterceptor(interceptor);
    }

    @Test
    void aStatusHttpDoesNotDefineReachesTheCallerEndsItsAttemptAndCountsAgainstThePod() throws Exception {
        String odd = "127.0.0.3";
        try (LocalPods pods = new LocalPods("127.0.0.2", odd)) {
            pods.behaviour(ip -> new MockResponse.Builder().code(ip.equals(odd) ? 999 : 200).body(ip).build());
            OkHttpClient client = client(LoadBalancingInterceptor.builder().service(BalancedService.builder(HOST)
                    .target("static:///127.0.0.2:" + pods.port() + "," + odd + ":" + pods.port())
                    .ejection(EjectionPolicy.builder().consecutiveFailures(3).maxEjectionPercent(50).build()).build())).build();
            LoadBalancer lb = interceptor.loadBalancer(HOST);
            Endpoint oddPod = lb.endpoints().endpoints().stream()
                    .filter(e -> e.address().getHostAddress().equals(odd)).findFirst().orElseThrow();

            List<Integer> codes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                try (Response response = client.newCall(new Request.Builder()
                        .url("http://" + HOST + ":" + pods.port() + "/").build()).execute()) {
                    codes.add(response.code());
                    assertThat(response.body().string()).isEqualTo(response.code() == 999 ? odd : "127.0.0.2");
                }
            }

            assertThat(codes).as("999s answered").contains(999);
            await().atMost(Duration.ofSeconds(10)).until(() -> lb.isEjected(oddPod));
            for (Endpoint e : lb.endpoints().endpoints()) {
                assertThat(lb.stats(e).inFlight()).as("requests in flight on %s", e).isZero();
            }
        }
    }

    @Test
    void httpsKeepsTheServiceNameForSniAndHostnameVerification() throws Exception {
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
        HeldCertificate forService = new HeldCertificate.Builder().addSubjectAlternativeName(HOST).signedBy(root).build();
        HandshakeCertificates serverTls = new HandshakeCertificates.Builder().heldCertificate(forService, root.certificate()).build();
        MockWebServer pod = pod("127.0.0.2", 0, serverTls);
        pod.enqueue(new MockResponse.Builder().body("secure").build());
        HandshakeCertificates clientTls = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate()).build();
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + pod.getPort()))
                .sslSocketFactory(clientTls.sslSocketFactory(), clientTls.trustManager()).build();

        try (Response response = client.newCall(new Request.Builder().url("https://" + HOST + ":" + pod.getPort() + "/").build())
                .execute()) {
            assertThat(response.body().string()).isEqualTo("secure");
        }
        RecordedRequest seen = pod.takeRequest();
        assertThat(seen.getHandshakeServerNames()).containsExactly(HOST);
    }

    @Test
    void certificateForAnotherNameIsRefused() throws Exception {
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
        HeldCertificate forOther = new HeldCertificate.Builder().addSubjectAlternativeName("other.example").signedBy(root).build();
        MockWebServer pod = pod("127.0.0.2", 0, new HandshakeCertificates.Builder().heldCertificate(forOther, root.certificate()).build());
        HandshakeCertificates clientTls = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate()).build();
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort()).maxAttempts(1).build()))
                .sslSocketFactory(clientTls.sslSocketFactory(), clientTls.trustManager()).build();

        assertThatThrownBy(() -> client.newCall(new Request.Builder().url("https://" + HOST + ":" + pod.getPort() + "/").build())
                .execute()).isInstanceOf(SSLPeerUnverifiedException.class);
    }

    @Test
    void podPortDifferentFromTheUrlsIsReachedAndTheUrlIsKept() throws Exception {
        MockWebServer pod = pod("127.0.0.2", 0, null);
        pod.enqueue(new MockResponse.Builder().body("mapped").build());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + pod.getPort())).build();

        try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + "/orders").build()).execute()) {
            assertThat(response.body().string()).isEqualTo("mapped");
            assertThat(response.request().url().port()).isEqualTo(80);
        }
        assertThat(pod.takeRequest().getHeaders().get("Host")).isEqualTo(HOST);
    }

    @Test
    void routesSendEachPathToItsService() throws Exception {
        MockWebServer api = pod("127.0.0.2", 0, null);
        MockWebServer ui = pod("127.0.0.3", 0, null);
        for (int i = 0; i < 3; i++) {
            api.enqueue(new MockResponse.Builder().body("api").build());
            ui.enqueue(new MockResponse.Builder().body("ui").build());
        }
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service("backend", "static:///127.0.0.2:" + api.getPort())
                .service("frontend", "static:///127.0.0.3:" + ui.getPort())
                .route(PathRoutes.builder("myapp").prefix("/api", "backend").prefix("/ui", "frontend").build())).build();

        assertThat(body(client, "http://myapp/api/v1/users")).isEqualTo("api");
        assertThat(body(client, "http://myapp/ui")).isEqualTo("ui");
        assertThatThrownBy(() -> body(client, "http://myapp/apix"))
                .isInstanceOf(NoRouteException.class)
                .hasMessage("no route for GET /apix: host myapp routes /api (Prefix) -> backend, /ui (Prefix) -> frontend;"
                        + " expected a matching path, or a default service for the route");
        assertThat(api.takeRequest().getHeaders().get("Host")).isEqualTo("myapp");
    }

    @Test
    void routeToAnUnknownServiceIsRefusedAtBuild() {
        assertThatThrownBy(() -> LoadBalancingInterceptor.builder()
                .service("backend", "static:///127.0.0.2:80")
                .route(PathRoutes.builder("myapp").prefix("/ui", "frontend").build()).build())
                .hasMessage("route myapp sends requests to frontend, which is not a balanced service; expected one of [backend]");
    }

    @Test
    void callTimeoutEndsTheCallWithoutTryingOtherPods() throws Exception {
        MockWebServer first = pod("127.0.0.2", 0, null);
        MockWebServer second = pod("127.0.0.3", first.getPort(), null);
        first.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).body("late").build());
        second.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).body("late").build());
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + first.getPort() + ",127.0.0.3:" + first.getPort())
                .listener(new CallListener() {
                    @Override
                    public void picked(String service, Request request, Endpoint pod, int attempt) {
                        events.add("picked #" + attempt);
                    }

                    @Override
                    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int next) {
                        events.add("retrying after " + outcome.kind());
                    }
                }))
                .callTimeout(Duration.ofMillis(500)).build();

        assertThatThrownBy(() -> client.newCall(new Request.Builder().url("http://" + HOST + ":" + first.getPort() + "/")
                .build()).execute()).isInstanceOf(InterruptedIOException.class);
        assertThat(first.getRequestCount() + second.getRequestCount()).isEqualTo(1);
        // Once the call timed out, OkHttp refuses to send anything more for it, so the request count
        // alone would not show a retry; the listener does: no second pick, no retry.
        assertThat(events).containsExactly("picked #1");
    }

    @Test
    void cancelledCallIsNotRetriedNorCountedAgainstThePod() throws Exception {
        MockWebServer slow = pod("127.0.0.2", 0, null);
        MockWebServer other = pod("127.0.0.3", slow.getPort(), null);
        slow.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).build());
        other.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).build());
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + slow.getPort() + ",127.0.0.3:" + slow.getPort())
                .listener(new CallListener() {
                    @Override
                    public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long nanos) {
                        outcomes.add(outcome);
                    }
                })).build();
        Call call = client.newCall(new Request.Builder().url("http://" + HOST + ":" + slow.getPort() + "/").build());
        CompletableFuture<IOException> failure = new CompletableFuture<>();
        call.enqueue(new Callback() {
            @Override
            public void onFailure(Call c, IOException e) {
                failure.complete(e);
            }

            @Override
            public void onResponse(Call c, Response response) {
                response.close();
            }
        });
        org.awaitility.Awaitility.await().until(() -> slow.getRequestCount() + other.getRequestCount() == 1);

        call.cancel();

        assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
        assertThat(call.isCanceled()).isTrue();
        assertThat(slow.getRequestCount() + other.getRequestCount()).isEqualTo(1);
        assertThat(outcomes).isEmpty();
    }

    @Test
    void listenerHearsPicksOutcomesRetriesAndEjections() throws Exception {
        MockWebServer up = pod("127.0.0.2", 0, null);
        MockWebServer down = pod("127.0.0.3", up.getPort(), null);
        down.close();
        for (int i = 0; i < 4; i++) {
            up.enqueue(new MockResponse.Builder().body("ok").build());
        }
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(BalancedService.builder(HOST).target("static:///127.0.0.2:" + up.getPort() + ",127.0.0.3:" + up.getPort())
                        .ejection(EjectionPolicy.builder().consecutiveFailures(1).build()).build())
                .listener(new CallListener() {
                    @Override
                    public void picked(String service, Request request, Endpoint pod, int attempt) {
                        events.add("picked " + pod.address().getHostAddress() + " #" + attempt);
                    }

                    @Override
                    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int next) {
                        events.add("retrying after " + outcome.kind());
                    }

                    @Override
                    public void ejected(String service, Endpoint endpoint, Duration duration) {
                        events.add("ejected " + endpoint.address().getHostAddress());
                    }
                })).build();

        for (int i = 0; i < 2; i++) {
            assertThat(body(client, "http://" + HOST + ":" + up.getPort() + "/")).isEqualTo("ok");
        }

        assertThat(events).contains("picked 127.0.0.3 #1", "retrying after CONNECT_FAILURE", "ejected 127.0.0.3",
                "picked 127.0.0.2 #2");
    }

    /** A pod that answers every request with headers and half of a 1,000-byte body, then cuts the connection. */
    private MockWebServer cuttingPod(String ip, int port) throws IOException {
        MockWebServer pod = pod(ip, port, null);
        pod.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().body("x".repeat(1000)).onResponseBody(new SocketEffect.CloseSocket()).build();
            }
        });
        return pod;
    }

    private static MockWebServer answering(MockWebServer pod, String body) {
        pod.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().body(body).build();
            }
        });
        return pod;
    }

    @Test
    void getWhosePodDiesInTheMiddleOfTheBodyIsRetriedOnAnotherPod() throws Exception {
        MockWebServer cutting = cuttingPod("127.0.0.2", 0);
        MockWebServer healthy = answering(pod("127.0.0.3", cutting.getPort(), null), "whole");
        List<Outcome> retried = Collections.synchronizedList(new ArrayList<>());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + cutting.getPort() + ",127.0.0.3:" + cutting.getPort())
                .listener(new CallListener() {
                    @Override
                    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int next) {
                        retried.add(outcome);
                    }
                })).build();

        for (int i = 0; i < 4; i++) {
            assertThat(body(client, "http://" + HOST + ":" + cutting.getPort() + "/")).isEqualTo("whole");
        }

        assertThat(cutting.getRequestCount()).isPositive();
        assertThat(retried).hasSize(cutting.getRequestCount()).allMatch(o -> o.kind() == Outcome.Kind.IO_FAILURE);
        assertThat(healthy.getRequestCount()).isEqualTo(4);
    }

    @Test
    void postWhosePodDiesInTheMiddleOfTheBodyIsNotSentAgain() throws Exception {
        MockWebServer first = cuttingPod("127.0.0.2", 0);
        MockWebServer second = cuttingPod("127.0.0.3", first.getPort());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(HOST, "static:///127.0.0.2:" + first.getPort() + ",127.0.0.3:" + first.getPort())).build();
        Request post = new Request.Builder().url("http://" + HOST + ":" + first.getPort() + "/orders")
                .post(RequestBody.create("order 1", MediaType.get("text/plain"))).build();

        assertThatThrownBy(() -> {
            try (Response response = client.newCall(post).execute()) {
                response.body().string();
            }
        }).isInstanceOf(ProtocolException.class);
        assertThat(first.getRequestCount() + second.getRequestCount()).isEqualTo(1);
    }

    @Test
    void bodyLongerThanTheBufferStreamsToTheCallerAndIsNotRetried() throws Exception {
        MockWebServer first = cuttingPod("127.0.0.2", 0);
        MockWebServer second = cuttingPod("127.0.0.3", first.getPort());
        OkHttpClient client = client(LoadBalancingInterceptor.builder()
                .service(BalancedService.builder(HOST).target("static:///127.0.0.2:" + first.getPort() + ",127.0.0.3:"
                        + first.getPort()).bufferResponsesUpTo(999).build())).build();

        try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + first.getPort() + "/")
                .build()).execute()) {
            assertThat(response.code()).isEqualTo(200);
            assertThatThrownBy(() -> response.body().string()).isInstanceOf(ProtocolException.class);
        }
        assertThat(first.getRequestCount() + second.getRequestCount()).isEqualTo(1);
    }

    @Test
    void connectTimeoutCountsAsAConnectFailureAndIsRetriedOnAnotherPod() throws Exception {
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"));
             Socket first = new Socket();
             Socket second = new Socket()) {
            first.connect(full.getLocalSocketAddress(), 1000);
            second.connect(full.getLocalSocketAddress(), 1000); // its accept queue is full: new connections time out
            MockWebServer healthy = answering(pod("127.0.0.3", 0, null), "answered");
            List<Outcome> atFullPod = Collections.synchronizedList(new ArrayList<>());
            OkHttpClient client = client(LoadBalancingInterceptor.builder()
                    .service(HOST, "static:///127.0.0.2:" + full.getLocalPort() + ",127.0.0.3:" + healthy.getPort())
                    .listener(new CallListener() {
                        @Override
                        public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long nanos) {
                            if (pod.address().getHostAddress().equals("127.0.0.2")) {
                                atFullPod.add(outcome);
                            }
                        }
                    })).connectTimeout(Duration.ofMillis(300)).build();

            for (int i = 0; i < 2; i++) {
                assertThat(body(client, "http://" + HOST + ":" + healthy.getPort() + "/")).isEqualTo("answered");
            }

            assertThat(atFullPod).isNotEmpty().allMatch(o -> o.kind() == Outcome.Kind.CONNECT_FAILURE);
        }
    }

    @Test
    void negativeBufferSizeIsRefused() {
        assertThatThrownBy(() -> BalancedService.builder(HOST).bufferResponsesUpTo(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bufferResponsesUpTo of service " + HOST + " is -1 bytes; expected 0 (off) or more");
    }

    private static String body(OkHttpClient client, String url) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
            return response.body().string();
        }
    }
}
