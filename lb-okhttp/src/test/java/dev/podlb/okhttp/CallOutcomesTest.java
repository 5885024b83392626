package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every call reaches the listener once, as a call, apart from its attempts; those that failed before any attempt too. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CallOutcomesTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient client;
    private final RecordingListener heard = new RecordingListener();

    @BeforeEach
    void start() {
        pods = new LocalPods("127.0.0.2", "127.0.0.3");
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    private void client(BalancedService.Builder service, PathRoutes route) {
        LoadBalancingInterceptor.Builder builder = LoadBalancingInterceptor.builder().listener(heard).service(service.build());
        if (route != null) {
            builder.route(route);
        }
        interceptor = builder.build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
    }

    private BalancedService.Builder service() {
        return BalancedService.builder(HOST).target("static:///127.0.0.2:" + pods.port() + ",127.0.0.3:" + pods.port());
    }

    private int get(String url, String pin) throws IOException {
        Request.Builder request = new Request.Builder().url(url);
        if (pin != null) {
            request.header("X-Pod", pin);
        }
        try (Response response = client.newCall(request.build()).execute()) {
            return response.code();
        }
    }

    @Test
    void aCallRetriedOnceIsOneCallOfTwoAttempts() throws Exception {
        AtomicBoolean first = new AtomicBoolean(true);
        pods.behaviour(ip -> first.getAndSet(false) ? new MockResponse.Builder().code(503).build()
                : new MockResponse.Builder().body(ip).build());
        client(service().retryOnStatus(503), null);

        assertThat(get("http://" + HOST + ":" + pods.port() + "/", null)).isEqualTo(200);

        assertThat(heard.charges).extracting(c -> c.outcome().status()).containsExactly(503, 200);
        assertThat(heard.calls).hasSize(1);
        assertThat(heard.calls.get(0).kind()).isEqualTo(CallOutcome.Kind.RESPONSE);
        assertThat(heard.calls.get(0).status()).isEqualTo(200);
        assertThat(heard.calls.get(0).attempts()).isEqualTo(2);
    }

    @Test
    void aCallThatFindsNoPodIsACallOutcomeWithNoAttempt() throws Exception {
        client(service().pinHeader("X-Pod"), null);

        assertThatThrownBy(() -> get("http://" + HOST + ":" + pods.port() + "/", "no-such-pod"))
                .isInstanceOf(NoPodAvailableException.class);

        assertThat(heard.charges).isEmpty();
        assertThat(heard.calls).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(CallOutcome.Kind.NO_POD);
            assertThat(c.attempts()).isZero();
            assertThat(c.failure()).isInstanceOf(NoPodAvailableException.class);
        });
    }

    @Test
    void aPathNoRouteMatchesIsACallOutcomeOfTheRoutesHost() throws Exception {
        client(service(), PathRoutes.builder("myapp").prefix("/api", HOST).build());

        assertThatThrownBy(() -> get("http://myapp/elsewhere", null)).isInstanceOf(NoRouteException.class);

        assertThat(heard.calls).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(CallOutcome.Kind.NO_ROUTE);
            assertThat(c.attempts()).isZero();
        });
    }
}
