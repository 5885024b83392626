package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.health.Outcome;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Cache;
import okhttp3.Dns;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an attempt is: only the service's host goes to the pod (redirects elsewhere go elsewhere),
 * past the client's proxy; the cache's answers are no pod's; a request no pod processed is
 * retried whatever its method, as the wire tells. Pods on 127.0.0.2–3, other hosts on 127.0.0.5–6.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AttemptSemanticsTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final List<MockWebServer> servers = new ArrayList<>();
    private final Map<MockWebServer, AtomicInteger> received = new ConcurrentHashMap<>();
    private final RecordingListener heard = new RecordingListener();
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        servers.forEach(MockWebServer::close);
    }

    private MockWebServer server(String ip, Function<RecordedRequest, MockResponse> answer) throws IOException {
        return server(ip, answer, null, null);
    }

    private MockWebServer server(String ip, Function<RecordedRequest, MockResponse> answer, List<Protocol> protocols,
                                 HandshakeCertificates tls) throws IOException {
        MockWebServer server = new MockWebServer();
        AtomicInteger count = new AtomicInteger();
        received.put(server, count);
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                count.incrementAndGet();
                return answer.apply(request);
            }
        });
        if (protocols != null) {
            server.setProtocols(protocols);
        }
        if (tls != null) {
            server.useHttps(tls.sslSocketFactory());
        }
        server.start(InetAddress.getByName(ip), 0);
        servers.add(server);
        return server;
    }

    private OkHttpClient.Builder client(BalancedService.Builder service) {
        interceptor = LoadBalancingInterceptor.builder().service(service.build()).listener(heard).build();
        return new OkHttpClient.Builder().addInterceptor(interceptor);
    }

    private static String body(OkHttpClient client, Request request) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            return response.body().string();
        }
    }

    @Test
    void redirectToAnotherHostGoesToThatHostAndItsOwnPort() throws Exception {
        MockWebServer other = server("127.0.0.5", r -> new MockResponse.Builder().body("other").build());
        MockWebServer pod = server("127.0.0.2", r -> new MockResponse.Builder().code(302)
                .setHeader("Location", "http://other.example:" + other.getPort() + "/landing").build());
        Dns dns = hostname -> hostname.equals("other.example") ? List.of(InetAddress.getByName("127.0.0.5"))
                : Dns.SYSTEM.lookup(hostname);
        // The URL's port 80 is mapped to the pod's: the mapping must not follow the redirect.
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort()))
                .dns(dns).build();

        assertThat(body(client, new Request.Builder().url("http://" + HOST + "/start").build())).isEqualTo("other");

        assertThat(received.get(pod).get()).isEqualTo(1);
        assertThat(other.takeRequest().getHeaders().get("Host")).isEqualTo("other.example:" + other.getPort());
        assertThat(heard.charges).extracting(RecordingListener.Charge::toString).containsExactly("127.0.0.2 RESPONSE 302");
    }

    @Test
    void balancedAttemptsBypassTheClientsProxyAndOtherHostsStillUseIt() throws Exception {
        MockWebServer pod = server("127.0.0.2", r -> new MockResponse.Builder().body("pod").build());
        MockWebServer proxy = server("127.0.0.6", r -> new MockResponse.Builder().body("proxy").build());
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort()))
                .proxy(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.6", proxy.getPort()))).build();

        assertThat(body(client, new Request.Builder().url("http://" + HOST + "/").build())).isEqualTo("pod");
        assertThat(received.get(proxy).get()).isZero();
        assertThat(body(client, new Request.Builder().url("http://elsewhere.example/").build())).isEqualTo("proxy");
        assertThat(received.get(proxy).get()).isEqualTo(1);
        assertThat(heard.charges).extracting(RecordingListener.Charge::pod).containsExactly("127.0.0.2");
    }

    @Test
    void aDefaultClientsAttemptsKeepItsOwnProxySelector() throws Exception {
        MockWebServer pod = server("127.0.0.2", r -> new MockResponse.Builder().body("pod").build());
        List<ProxySelector> seen = new CopyOnWriteArrayList<>();
        // An application interceptor after podlb's sees the chain podlb proceeds with.
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort()))
                .addInterceptor(chain -> {
                    seen.add(chain.getProxySelector());
                    return chain.proceed(chain.request());
                }).build();

        assertThat(body(client, new Request.Builder().url("http://" + HOST + "/").build())).isEqualTo("pod");

        // The JDK's default selector with no proxy property answers NO_PROXY for every host: nothing to bypass.
        assertThat(seen).singleElement().isSameAs(client.proxySelector());
    }

    @Test
    void aProxyPropertySetAfterCallsRanIsBypassedForTheBalancedHostAndUsedForOthers() throws Exception {
        // No pooled connection to the pod: every call chooses its route afresh.
        MockWebServer pod = server("127.0.0.2", r -> new MockResponse.Builder().setHeader("Connection", "close")
                .body("pod").build());
        MockWebServer proxy = server("127.0.0.6", r -> new MockResponse.Builder().body("proxy").build());
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort())).build();
        Request balanced = new Request.Builder().url("http://" + HOST + "/").build();
        assertThat(body(client, balanced)).isEqualTo("pod");

        String[] keys = {"http.proxyHost", "http.proxyPort", "http.nonProxyHosts"};
        String[] before = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = System.getProperty(keys[i]);
        }
        try {
            System.setProperty("http.proxyHost", "127.0.0.6");
            System.setProperty("http.proxyPort", Integer.toString(proxy.getPort()));
            System.setProperty("http.nonProxyHosts", "localhost");

            assertThat(body(client, balanced)).isEqualTo("pod");
            assertThat(received.get(proxy).get()).isZero();
            assertThat(body(client, new Request.Builder().url("http://elsewhere.example/").build())).isEqualTo("proxy");
            assertThat(received.get(proxy).get()).isEqualTo(1);
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (before[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], before[i]);
                }
            }
        }
        assertThat(received.get(pod).get()).isEqualTo(2);
    }

    @Test
    void responsesFromOkHttpsCacheAreNotChargedToAPod(@TempDir Path cacheDir) throws Exception {
        MockWebServer pod = server("127.0.0.2", r -> new MockResponse.Builder().setHeader("Cache-Control", "max-age=60")
                .body("cached").build());
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + pod.getPort()))
                .cache(new Cache(new File(cacheDir.toFile(), "http"), 1 << 20)).build();
        Request get = new Request.Builder().url("http://" + HOST + ":" + pod.getPort() + "/catalog").build();

        assertThat(body(client, get)).isEqualTo("cached");
        assertThat(body(client, get)).isEqualTo("cached");

        assertThat(received.get(pod).get()).isEqualTo(1);
        assertThat(heard.charges).hasSize(1);
        assertThat(heard.calls).extracting(CallOutcome::fromCache).containsExactly(false, true);
        client.cache().close();
    }

    @Test
    void refusedStreamIsRetriedOnAnotherPodWhateverTheMethod() throws Exception {
        List<Protocol> h2c = List.of(Protocol.H2_PRIOR_KNOWLEDGE);
        MockWebServer refusing = server("127.0.0.2", r -> new MockResponse.Builder().body("processed").build(), h2c, null);
        AtomicInteger refused = new AtomicInteger();
        refusing.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().body("processed").build();
            }

            /** MockWebServer asks peek() what to do as a stream opens: refuse it, unprocessed. */
            @Override
            public MockResponse peek() {
                refused.incrementAndGet();
                return new MockResponse.Builder()
                        .onRequestStart(new SocketEffect.CloseStream(ErrorCode.REFUSED_STREAM.getHttpCode())).build();
            }
        });
        MockWebServer healthy = server("127.0.0.3", r -> new MockResponse.Builder().body("taken " + r.getBody().utf8()).build(),
                h2c, null);
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + refusing.getPort()
                + ",127.0.0.3:" + healthy.getPort())).protocols(h2c).build();

        for (int i = 0; i < 6; i++) {
            Request post = new Request.Builder().url("http://" + HOST + ":" + healthy.getPort() + "/orders")
                    .post(RequestBody.create("order " + i, MediaType.get("text/plain"))).build();
            assertThat(body(client, post)).isEqualTo("taken order " + i);
        }

        assertThat(refused.get()).as("streams the refusing pod refused").isPositive();
        assertThat(received.get(healthy).get()).isEqualTo(6);
        assertThat(heard.chargesTo("127.0.0.2")).isNotEmpty().allMatch(c -> c.outcome().kind() == Outcome.Kind.IO_FAILURE);
    }

    @Test
    void postWhoseTlsHandshakeIsCutBeforeTheRequestLeftIsRetriedOnAnotherPod() throws Exception {
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
        HeldCertificate forService = new HeldCertificate.Builder().addSubjectAlternativeName(HOST).signedBy(root).build();
        MockWebServer healthy = server("127.0.0.3", r -> new MockResponse.Builder().body("taken").build(), null,
                new HandshakeCertificates.Builder().heldCertificate(forService, root.certificate()).build());
        HandshakeCertificates clientTls = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate()).build();
        AtomicInteger cut = new AtomicInteger();
        try (ServerSocket cutting = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"))) {
            Thread acceptor = new Thread(() -> {
                while (!cutting.isClosed()) {
                    try (Socket socket = cutting.accept()) {
                        cut.incrementAndGet(); // closes at once: the TLS handshake never completes
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "cutting-pod");
            acceptor.start();
            OkHttpClient client = client(BalancedService.builder(HOST).target("static:///127.0.0.2:" + cutting.getLocalPort()
                    + ",127.0.0.3:" + healthy.getPort()).ejection(dev.podlb.core.health.EjectionPolicy.disabled()))
                    .sslSocketFactory(clientTls.sslSocketFactory(), clientTls.trustManager()).build();

            for (int i = 0; i < 4; i++) {
                Request post = new Request.Builder().url("https://" + HOST + ":" + healthy.getPort() + "/orders")
                        .post(RequestBody.create("order " + i, MediaType.get("text/plain"))).build();
                assertThat(body(client, post)).isEqualTo("taken");
            }
        }

        assertThat(cut.get()).as("handshakes cut").isPositive();
        assertThat(received.get(healthy).get()).isEqualTo(4);
        assertThat(heard.chargesTo("127.0.0.2")).isNotEmpty().allMatch(c -> c.outcome().kind() == Outcome.Kind.CONNECT_FAILURE);
    }
}
