package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.time.ManualScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** With every pod answering 503, retries add at most the budget's share of the calls: they cannot multiply an outage. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RetryBudgetTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient client;
    private final RecordingListener heard = new RecordingListener();
    private final ManualScheduler clock = new ManualScheduler();

    @BeforeEach
    void start() {
        pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4");
        pods.behaviour(ip -> new MockResponse.Builder().code(503).body("busy " + ip).build());
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    private void client(RetryBudget budget) {
        interceptor = LoadBalancingInterceptor.builder().listener(heard)
                .service(BalancedService.builder(HOST)
                        .target("static:///127.0.0.2:" + pods.port() + ",127.0.0.3:" + pods.port() + ",127.0.0.4:" + pods.port())
                        .retryOnStatus(503).maxAttempts(3).ejection(EjectionPolicy.disabled()).retryBudget(budget)
                        .scheduler(clock).build())
                .build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
    }

    private int calls(int n) throws IOException {
        int status = 0;
        for (int i = 0; i < n; i++) {
            try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/")
                    .header("X-Request-Id", "call-" + heard.calls.size()).build()).execute()) {
                status = response.code();
                assertThat(response.body().string()).startsWith("busy");
            }
        }
        return status;
    }

    @Test
    void retriesBeyondTheBudgetEndTheCallWithItsLastResponseAndTheListenerHearsIt() throws Exception {
        // 20% of 100 calls, plus 1 retry a second over 10 seconds: 30 retries.
        client(RetryBudget.builder().ratio(0.2).minRetriesPerSecond(1).ttl(Duration.ofSeconds(10)).build());

        assertThat(calls(100)).isEqualTo(503);

        assertThat(heard.retries.get()).isEqualTo(30);
        assertThat(pods.receivedById().values().stream().mapToInt(n -> n.get()).sum()).isEqualTo(130);
        assertThat(heard.budgetExhausted.get()).isPositive();
        assertThat(heard.calls).filteredOn(CallOutcome::retryBudgetExhausted).hasSize(heard.budgetExhausted.get())
                .allMatch(c -> c.kind() == CallOutcome.Kind.RESPONSE && c.status() == 503);
    }

    @Test
    void spentBudgetReturnsOnceItsWindowHasPassed() throws Exception {
        client(RetryBudget.builder().ratio(0).minRetriesPerSecond(1).ttl(Duration.ofSeconds(10)).build());
        calls(10);
        assertThat(heard.retries.get()).isEqualTo(10);
        calls(1);
        assertThat(heard.retries.get()).isEqualTo(10);

        clock.advance(Duration.ofSeconds(10));
        calls(1);

        assertThat(heard.retries.get()).isEqualTo(12);
    }

    @Test
    void withoutABudgetEveryCallMakesAllItsAttempts() throws Exception {
        client(RetryBudget.unlimited());

        calls(20);

        assertThat(pods.receivedById().values().stream().mapToInt(n -> n.get()).sum()).isEqualTo(60);
        assertThat(heard.budgetExhausted.get()).isZero();
    }

    @Test
    void budgetSettingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> RetryBudget.builder().ratio(1.5).build())
                .hasMessage("retry budget ratio is 1.5; expected 0 to 1, such as 0.2");
        assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(-1).build())
                .hasMessage("retry budget minRetriesPerSecond is -1; expected 0 or more, such as 10");
        assertThatThrownBy(() -> RetryBudget.builder().ttl(Duration.ofMillis(100)).build())
                .hasMessage("retry budget ttl is PT0.1S; expected 1 second to 1 minute, such as 10s");
    }
}
