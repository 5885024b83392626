package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.pick.AffinityMemory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stickiness by cookie works with OkHttp's cookie support: the client's CookieJar, and Set-Cookie for any domain. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CookiesTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;

    @BeforeEach
    void start() {
        pods = new LocalPods(PODS);
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    private OkHttpClient client(BalancedService.Builder service, CookieJar jar) {
        interceptor = LoadBalancingInterceptor.builder().service(service.build()).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        return new OkHttpClient.Builder().addInterceptor(interceptor).cookieJar(jar).build();
    }

    private BalancedService.Builder service() {
        return BalancedService.builder(HOST).target("static:///" + String.join(":" + pods.port() + ",", PODS) + ":" + pods.port());
    }

    private String get(OkHttpClient client) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build())
                .execute()) {
            return response.body().string();
        }
    }

    /** A jar that keeps what pods set, as a browser-like client would. */
    private static final class MemoryJar implements CookieJar {
        final List<Cookie> cookies = new ArrayList<>();

        @Override
        public synchronized void saveFromResponse(HttpUrl url, List<Cookie> received) {
            cookies.addAll(received);
        }

        @Override
        public synchronized List<Cookie> loadForRequest(HttpUrl url) {
            return cookies.stream().filter(c -> c.matches(url)).toList();
        }
    }

    @Test
    void stickyCookieFromTheClientsCookieJarKeepsCallsOnOnePod() throws Exception {
        MemoryJar jar = new MemoryJar();
        jar.cookies.add(new Cookie.Builder().name("session").value("abc").hostOnlyDomain(HOST).build());
        OkHttpClient client = client(service().stickyKey(StickyKey.cookie("session")), jar);

        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            answered.add(get(client));
        }

        assertThat(answered).hasSize(1);
        String pod = answered.iterator().next();
        assertThat(pods.server(pod).takeRequest().getHeaders().get("Cookie")).isEqualTo("session=abc");
    }

    @Test
    void sessionSetByAPodForAnotherDomainIsLearned() throws Exception {
        AffinityMemory memory = AffinityMemory.builder().build();
        pods.behaviour(ip -> new MockResponse.Builder()
                .addHeader("Set-Cookie", "JSESSIONID=s-" + ip + "; Domain=shop.example.com; Path=/").body(ip).build());
        OkHttpClient client = client(service().learnCookie("JSESSIONID", memory), CookieJar.NO_COOKIES);

        String creator = get(client);

        assertThat(memory.boundTo("s-" + creator)).as("pod session s-%s is bound to", creator).isNotNull();
        assertThat(memory.boundTo("s-" + creator).getAddress().getHostAddress()).isEqualTo(creator);
    }

    @Test
    void sessionTheCookieJarCarriesBringsLaterCallsBackToThePodThatCreatedIt() throws Exception {
        MemoryJar jar = new MemoryJar();
        // Only a call without the session yet gets one, as an application server does.
        pods.behaviour(ip -> new MockResponse.Builder().addHeader("Set-Cookie", "JSESSIONID=s-" + ip + "; Path=/").body(ip).build());
        OkHttpClient client = client(service().learnCookie("JSESSIONID"), jar);
        String creator = get(client);
        pods.behaviour(ip -> new MockResponse.Builder().body(ip).build());

        for (int i = 0; i < 20; i++) {
            assertThat(get(client)).isEqualTo(creator);
        }
        assertThat(jar.loadForRequest(HttpUrl.get("http://" + HOST + "/"))).extracting(Cookie::value)
                .containsExactly("s-" + creator);
    }
}
