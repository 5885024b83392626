package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.pick.AffinityMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Input a caller or a pod can get wrong: each gets a clear outcome, nothing grows without bound, nothing is sent twice. */
class BadInputTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final LocalPods pods = new LocalPods("127.0.0.2", "127.0.0.3");
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    private OkHttpClient client(BalancedService.Builder service) {
        interceptor = LoadBalancingInterceptor.builder().service(service.build()).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(5));
        return new OkHttpClient.Builder().addInterceptor(interceptor).build();
    }

    private BalancedService.Builder service() {
        return BalancedService.builder(HOST).target("static:///127.0.0.2:" + pods.port() + ",127.0.0.3:" + pods.port());
    }

    private String url() {
        return "http://" + HOST + ":" + pods.port() + "/";
    }

    @Test
    void settingsAServiceWouldIgnoreAreRefusedNamingThem() {
        try (dev.podlb.core.LoadBalancer own = dev.podlb.core.LoadBalancer.builder("backend")
                .target("static:///127.0.0.2:8080").build()) {
            assertThatThrownBy(() -> BalancedService.builder(HOST).loadBalancer(own)
                    .picker(dev.podlb.core.pick.Pickers.sticky()).build())
                    .hasMessageStartingWith("balanced service " + HOST + " is given its own load balancer and also a"
                            + " picker, which only a load balancer podlb builds would use");
            assertThatThrownBy(() -> BalancedService.builder(HOST).loadBalancer(own)
                    .ejection(dev.podlb.core.health.EjectionPolicy.disabled()).build())
                    .hasMessageContaining("also an ejection policy");
            assertThatThrownBy(() -> BalancedService.builder(HOST).loadBalancer(own).customize(lb -> {}).build())
                    .hasMessageContaining("also a load balancer customizer");
        }
        assertThatThrownBy(() -> BalancedService.builder(HOST).retryOnStatus(200))
                .hasMessage("retry status 200 of service " + HOST + " is not retried: another pod would answer it alike;"
                        + " expected a 5xx, 408, 425 or 429, such as 503");
        assertThatThrownBy(() -> BalancedService.builder(HOST).retryOnStatus(404)).hasMessageContaining("status 404");
        BalancedService.builder(HOST).target("static:///127.0.0.2:8080").retryOnStatus(503, 429, 408).build();
    }

    @Test
    void stickySettingsThatContradictEachOtherAreRefusedNamingBoth() {
        assertThatThrownBy(() -> service().picker(dev.podlb.core.pick.Pickers.roundRobin())
                .stickyKey(StickyKey.header("X-Session-Id")).build())
                .hasMessageStartingWith("balanced service " + HOST + " has a stickyKey(...) and picker(round-robin),"
                        + " which ignores sticky keys; expected picker(Pickers.sticky()) or no picker");
        assertThatThrownBy(() -> service().picker(dev.podlb.core.pick.Pickers.leastRequest()).learnCookie("JSESSIONID").build())
                .hasMessageContaining("has learnCookie(\"JSESSIONID\") and picker(least-request");
        assertThatThrownBy(() -> service().picker(dev.podlb.core.pick.Pickers.sticky()).build())
                .hasMessageStartingWith("balanced service " + HOST + " has picker(sticky) but no sticky key, so every"
                        + " request would go round-robin; expected stickyKey(...)");
        assertThat(service().stickyKey(StickyKey.header("X-Session-Id")).build().picker.toString()).isEqualTo("sticky");
        assertThat(service().picker(dev.podlb.core.pick.Pickers.sticky(0.25)).stickyKey(StickyKey.header("X-Session-Id"))
                .build().picker.toString()).startsWith("sticky with load bounded");
    }

    @Test
    void aFailedConnectNamesThePodsPortNotTheUrls() throws IOException {
        int refusing;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.4"))) {
            refusing = closed.getLocalPort();
        }
        java.util.List<String> charged = new java.util.concurrent.CopyOnWriteArrayList<>();
        interceptor = LoadBalancingInterceptor.builder()
                .service(BalancedService.builder(HOST).target("static:///127.0.0.4:" + refusing).maxAttempts(1).build())
                .listener(new CallListener() {
                    @Override
                    public void outcome(String service, Request request, dev.podlb.core.Endpoint pod,
                                        dev.podlb.core.health.Outcome outcome, long nanos) {
                        charged.add(String.valueOf(outcome.cause().getMessage()));
                    }
                }).build();
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
        String named = "Failed to connect to " + HOST + "/127.0.0.4:" + refusing;
        assertThatThrownBy(() -> client.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute())
                .isInstanceOf(java.net.ConnectException.class)
                .hasMessage(named)
                .hasRootCauseMessage("Connection refused");
        assertThat(charged).as("what the pod's outcome, and so the ejection log, says").containsExactly(named);
    }

    @Test
    void hugeAndNumerousSessionCookiesStayWithinTheAffinityMemorysMaximum() throws IOException {
        AffinityMemory memory = AffinityMemory.builder().maximumSize(1_000).build();
        AtomicInteger session = new AtomicInteger();
        String padding = "x".repeat(4_000);
        pods.behaviour(ip -> new MockResponse.Builder()
                .addHeader("Set-Cookie", "JSESSIONID=" + padding + session.incrementAndGet() + "; Path=/").body(ip).build());
        OkHttpClient client = client(service().learnCookie("JSESSIONID", memory));

        String lastPod = null;
        for (int i = 0; i < 5_000; i++) {
            try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                lastPod = response.body().string();
            }
        }

        Load.report("5,000 sessions, each a 4 KB JSESSIONID", "5,000 GETs", "affinity memory maximum 1,000",
                "memory holds " + memory.size() + " sessions (keys kept as 64-bit hashes, not the cookie text)");
        assertThat(memory.size()).isLessThanOrEqualTo(memory.maximumSize());
        // The bound is met because sessions were learned and the oldest forgotten, not because none was learned.
        assertThat(memory.size()).isPositive();
        InetSocketAddress lastSession = memory.boundTo(padding + session.get());
        assertThat(lastSession).as("pod the last session is bound to").isNotNull();
        assertThat(lastSession.getAddress().getHostAddress() + ":" + lastSession.getPort())
                .isEqualTo(lastPod + ":" + pods.port());
    }

    @Test
    void oneShotBodyIsNotSentAgainEvenForAnIdempotentMethod() {
        pods.behaviour(ip -> new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
        OkHttpClient client = client(service());
        RequestBody oneShot = new RequestBody() {
            @Override
            public MediaType contentType() {
                return MediaType.get("text/plain");
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                sink.writeUtf8("stream that cannot be replayed");
            }

            @Override
            public boolean isOneShot() {
                return true;
            }
        };

        assertThatThrownBy(() -> client.newCall(new Request.Builder().url(url()).header("X-Request-Id", "put-1")
                .put(oneShot).build()).execute()).isInstanceOf(IOException.class);
        assertThat(pods.received("put-1")).isEqualTo(1);
    }

    @Test
    void pinHeaderNamingAnArbitraryAddressOrUnknownPodContactsNothing() {
        OkHttpClient client = client(service().pinHeader("X-Pod"));
        for (String pin : new String[] {"10.66.0.1", "127.0.0.9:" + pods.port(), "no-such-pod", "[::1]:" + pods.port()}) {
            assertThatThrownBy(() -> client.newCall(new Request.Builder().url(url()).header("X-Request-Id", "pin-" + pin)
                    .header("X-Pod", pin).build()).execute())
                    .as("pin \"%s\"", pin).isInstanceOf(NoPodAvailableException.class);
            assertThat(pods.received("pin-" + pin)).isZero();
        }
    }

    @Test
    void emptyPinHeaderMeansNotPinned() throws IOException {
        OkHttpClient client = client(service().pinHeader("X-Pod"));
        try (Response response = client.newCall(new Request.Builder().url(url()).header("X-Pod", "").build()).execute()) {
            assertThat(response.body().string()).isIn("127.0.0.2", "127.0.0.3");
        }
    }
}
