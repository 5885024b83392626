package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.AffinityMemory;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The interceptor over three real HTTP servers on 127.0.0.2–4, found through a real DNS server. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LoadBalancingInterceptorTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

    private TestDnsServer dns;
    private Discovery discovery;
    private LocalPods pods;
    /** Requests each pod received, by its address. */
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    /** A pod's answer to its next request only; afterwards it answers "pod <its address>" again. */
    private final Map<String, MockResponse> nextResponse = new ConcurrentHashMap<>();
    private int port;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient client;

    @BeforeEach
    void startCluster() throws Exception {
        dns = new TestDnsServer();
        dns.a(HOST, 30, PODS);
        pods = new LocalPods(PODS);
        pods.behaviour(ip -> {
            received.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
            MockResponse special = nextResponse.remove(ip);
            return special != null ? special : new MockResponse.Builder().body("pod " + ip).build();
        });
        port = pods.port();
        discovery = Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build();
    }

    private int received(String ip) {
        AtomicInteger n = received.get(ip);
        return n == null ? 0 : n.get();
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
        discovery.close();
        dns.close();
    }

    private OkHttpClient client(BalancedService.Builder service) {
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery).service(service.build()).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        client = new OkHttpClient.Builder().addInterceptor(interceptor).callTimeout(Duration.ofSeconds(10)).build();
        return client;
    }

    private BalancedService.Builder service() {
        return BalancedService.builder(HOST).target("dns:///" + HOST + ":" + port);
    }

    private String get(Request.Builder request) throws IOException {
        try (Response response = client.newCall(request.build()).execute()) {
            return response.body().string();
        }
    }

    private Request.Builder request() {
        return new Request.Builder().url("http://" + HOST + ":" + port + "/hello");
    }

    @Test
    void callsSpreadEvenlyOverThePodsAndTheUrlKeepsTheServiceName() throws Exception {
        client(service());
        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            answers.merge(get(request()), 1, Integer::sum);
        }
        assertThat(answers).containsOnlyKeys("pod 127.0.0.2", "pod 127.0.0.3", "pod 127.0.0.4");
        assertThat(answers.values()).containsOnly(100);
        assertThat(pods.server("127.0.0.2").takeRequest().getHeaders().get("Host")).isEqualTo(HOST + ":" + port);
    }

    @Test
    void connectionsArePooledPerPod() throws Exception {
        client(service());
        for (int i = 0; i < 30; i++) {
            get(request());
        }
        assertThat(interceptor.connectionCount()).isEqualTo(3);
    }

    @Test
    void onlyTheIdleConnectionsOfAPodThatLeavesAreClosed() throws Exception {
        dns.a(HOST, 1, PODS);
        client(service());
        for (int i = 0; i < 30; i++) {
            get(request());
        }
        assertThat(interceptor.idleConnectionCount()).isEqualTo(3);

        dns.a(HOST, 1, "127.0.0.2", "127.0.0.3");

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> interceptor.connectionCount() == 2);
        for (int i = 0; i < 10; i++) {
            assertThat(get(request())).isIn("pod 127.0.0.2", "pod 127.0.0.3");
        }
        // The pods that stayed kept their connections: every request they ever got came over one.
        assertThat(pods.connections("127.0.0.2")).isEqualTo(1);
        assertThat(pods.connections("127.0.0.3")).isEqualTo(1);
    }

    @Test
    void sameHeaderKeyReachesTheSamePod() throws Exception {
        client(service().stickyKey(StickyKey.header("X-Session-Id")));
        String first = get(request().header("X-Session-Id", "user-42"));
        for (int i = 0; i < 20; i++) {
            assertThat(get(request().header("X-Session-Id", "user-42"))).isEqualTo(first);
        }
    }

    @Test
    void sameCookieKeyReachesTheSamePod() throws Exception {
        client(service().stickyKey(StickyKey.cookie("session")));
        String first = get(request().header("Cookie", "theme=dark; session=abc"));
        for (int i = 0; i < 20; i++) {
            assertThat(get(request().header("Cookie", "session=abc"))).isEqualTo(first);
        }
    }

    @Test
    void sessionCookieSetByAPodBringsLaterRequestsBackToIt() throws Exception {
        AffinityMemory memory = AffinityMemory.builder().build();
        client(service().learnCookie("JSESSIONID", memory));
        // Whichever pod answers first creates the session.
        for (String ip : PODS) {
            nextResponse.put(ip, new MockResponse.Builder().addHeader("Set-Cookie", "JSESSIONID=s-" + ip + "; Path=/")
                    .body("pod " + ip).build());
        }
        String creator = get(request());
        String session = "s-" + creator.substring(4);
        nextResponse.clear();

        // Learned, not a lucky hash: the memory binds the session to the pod that created it.
        InetSocketAddress bound = memory.boundTo(session);
        assertThat(bound).as("pod session %s is bound to", session).isNotNull();
        assertThat("pod " + bound.getAddress().getHostAddress() + ":" + bound.getPort()).isEqualTo(creator + ":" + port);

        for (int i = 0; i < 20; i++) {
            assertThat(get(request().header("Cookie", "JSESSIONID=" + session))).isEqualTo(creator);
        }
    }

    @Test
    void pinHeaderReachesThatPodAndIsRemoved() throws Exception {
        client(service().pinHeader("X-Pod"));
        for (int i = 0; i < 5; i++) {
            assertThat(get(request().header("X-Pod", "127.0.0.3"))).isEqualTo("pod 127.0.0.3");
        }
        assertThat(pods.server("127.0.0.3").takeRequest().getHeaders().get("X-Pod")).isNull();
    }

    @Test
    void pinToAnAddressDiscoveryDidNotReturnIsNeverContacted() throws Exception {
        pods.start("127.0.0.9");
        client(service().pinHeader("X-Pod"));

        assertThatThrownBy(() -> get(request().header("X-Pod", "127.0.0.9")))
                .isInstanceOf(NoPodAvailableException.class)
                .hasMessageContaining("127.0.0.9");
        assertThat(received("127.0.0.9")).isZero();
    }

    @Test
    void requestTagPinsAndOverridesTheHeaders() throws Exception {
        client(service());
        Request tagged = request().tag(PickRequest.class, PickRequest.pinned("127.0.0.4:" + port)).build();
        try (Response response = client.newCall(tagged).execute()) {
            assertThat(response.body().string()).isEqualTo("pod 127.0.0.4");
        }
    }

    @Test
    void getsSucceedWhileAPodIsDownAndItIsEjected() throws Exception {
        client(service().ejection(EjectionPolicy.builder().consecutiveFailures(1).build()));
        pods.stop("127.0.0.3");

        for (int i = 0; i < 30; i++) {
            assertThat(get(request())).isIn("pod 127.0.0.2", "pod 127.0.0.4");
        }
        LoadBalancer lb = interceptor.loadBalancer(HOST);
        assertThat(lb.status().ejected()).isEqualTo(1);
    }

    @Test
    void postWhosePodDiesAfterReceivingItIsNotSentAgain() throws Exception {
        client(service().pinHeader("X-Pod"));
        for (String ip : PODS) {
            nextResponse.put(ip, new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
        }
        Request post = request().post(RequestBody.create("order-1", MediaType.get("text/plain"))).build();

        assertThatThrownBy(() -> client.newCall(post).execute().close()).isInstanceOf(IOException.class);
        int total = received.values().stream().mapToInt(AtomicInteger::get).sum();
        assertThat(total).isEqualTo(1);
    }

    @Test
    void getWhosePodDiesAfterReceivingItIsRetriedOnAnotherPod() throws Exception {
        client(service());

        // Round-robin starts anywhere, so one GET may go straight to the healthy pod; of several in
        // a row, some start on a dying pod (the two dying pods die on every request they get).
        for (int i = 0; i < 6; i++) {
            nextResponse.put("127.0.0.2", new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE)
                    .build());
            nextResponse.put("127.0.0.3", new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE)
                    .build());

            assertThat(get(request())).as("GET %d", i + 1).isEqualTo("pod 127.0.0.4");
        }

        assertThat(received("127.0.0.2") + received("127.0.0.3")).as("requests the dying pods received").isPositive();
    }

    @Test
    void retriedStatusResponseIsClosedAndAnotherPodAnswers() throws Exception {
        client(service().retryOnStatus(503));
        nextResponse.put("127.0.0.2", new MockResponse.Builder().code(503).body("busy").build());

        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(get(request()));
        }
        assertThat(answers).doesNotContain("busy");
        // The 503 was closed before the retry: every pooled connection is idle again, none leaked.
        assertThat(interceptor.idleConnectionCount()).isEqualTo(interceptor.connectionCount());
    }

    @Test
    void otherHostsPassThroughUntouched() throws Exception {
        client(service());
        MockWebServer other = pods.server("127.0.0.2");
        Request direct = new Request.Builder().url("http://127.0.0.2:" + port + "/direct").build();
        try (Response response = client.newCall(direct).execute()) {
            assertThat(response.body().string()).isEqualTo("pod 127.0.0.2");
        }
        assertThat(other.getRequestCount()).isEqualTo(1);
    }

    @Test
    void noPodLeftFailsEnqueuedCallsWithTheReasonAndCounts() throws Exception {
        client(service().ejection(EjectionPolicy.builder().consecutiveFailures(1).build()).pinHeader("X-Pod"));
        CompletableFuture<IOException> failure = new CompletableFuture<>();
        client.newCall(request().header("X-Pod", "no-such-pod").build()).enqueue(new Callback() {
            @Override
            public void onFailure(Call call, IOException e) {
                failure.complete(e);
            }

            @Override
            public void onResponse(Call call, Response response) {
                response.close();
                failure.complete(null);
            }
        });

        assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(NoPodAvailableException.class)
                .hasMessageContaining(HOST).hasMessageContaining("3 known");
    }

    @Test
    void builderNamesWhatIsMissing() {
        assertThatThrownBy(() -> LoadBalancingInterceptor.builder().build())
                .hasMessageStartingWith("load-balancing interceptor has no service");
        assertThatThrownBy(() -> BalancedService.builder(HOST).build())
                .hasMessageStartingWith("balanced service " + HOST + " has neither a target nor a load balancer");
        assertThatThrownBy(() -> BalancedService.builder(HOST).target("dns:///x:1").maxAttempts(0).build())
                .hasMessage("maxAttempts of service " + HOST + " is 0; expected 1 to 10 (3 is the default)");
    }
}
