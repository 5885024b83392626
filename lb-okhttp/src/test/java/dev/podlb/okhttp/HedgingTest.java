package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.testing.LocalPods;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hedged requests: a second attempt to another pod once the first has gone unanswered for the
 * hedging delay; the first response wins, the other attempt is cancelled and charged to no pod.
 * A quick pod on 127.0.0.2 (300 ms) and a slow one on 127.0.0.3 (5 s).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class HedgingTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String QUICK = "127.0.0.2";
    private static final String SLOW = "127.0.0.3";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private final RecordingListener heard = new RecordingListener();
    private final Map<String, AtomicInteger> arrived = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> picksByAttempt = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        if (pods != null) {
            pods.close();
        }
    }

    private OkHttpClient client(BalancedService.Builder service) {
        pods = new LocalPods(QUICK, SLOW);
        pods.behaviour(ip -> {
            arrived.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
            return new MockResponse.Builder().headersDelay(ip.equals(QUICK) ? 300 : 5_000, TimeUnit.MILLISECONDS)
                    .body(ip).build();
        });
        CallListener picks = new CallListener() {
            @Override
            public void picked(String s, Request request, Endpoint pod, int attempt) {
                picksByAttempt.computeIfAbsent(attempt, k -> new AtomicInteger()).incrementAndGet();
            }
        };
        interceptor = LoadBalancingInterceptor.builder().service(service
                .target("static:///" + QUICK + ":" + pods.port() + "," + SLOW + ":" + pods.port())
                .picker(Pickers.roundRobin()).ejection(EjectionPolicy.disabled()).build())
                .listener(heard).listener(picks).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        return interceptor.newClientBuilder().build();
    }

    private Request get() {
        return new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build();
    }

    private Endpoint pod(String ip) {
        return interceptor.loadBalancer(HOST).endpoints().endpoints().stream()
                .filter(e -> e.address().getHostAddress().equals(ip)).findFirst().orElseThrow();
    }

    @Test
    void theFirstResponseWinsAndTheOtherAttemptIsCancelledChargingNoPod() throws Exception {
        OkHttpClient client = client(BalancedService.builder(HOST).hedging(Hedging.after(Duration.ofMillis(50)))
                .retryBudget(RetryBudget.unlimited()));
        LoadBalancer lb = interceptor.loadBalancer(HOST);

        // Round-robin: some calls go first to the slow pod (the hedge to the quick one wins), others
        // first to the quick one (which wins, and the hedge on the slow pod is cancelled).
        for (int i = 0; i < 4; i++) {
            try (Response response = client.newCall(get()).execute()) {
                assertThat(response.body().string()).isEqualTo(QUICK);
            }
        }

        assertThat(picksByAttempt.get(2).get()).as("hedges sent").isEqualTo(4);
        assertThat(arrived.get(SLOW).get()).as("attempts that reached the slow pod").isEqualTo(4);
        assertThat(heard.chargesTo(SLOW)).as("the slow pod's cancelled attempts are charged nothing").isEmpty();
        assertThat(heard.chargesTo(QUICK)).hasSize(4);
        assertThat(lb.stats(pod(SLOW)).inFlight()).as("cancelled attempts no longer in flight").isZero();
        assertThat(lb.stats(pod(QUICK)).inFlight()).isZero();
        assertThat(heard.calls).extracting(CallOutcome::attempts).containsOnly(2);
    }

    @Test
    void aHedgeCancelledOnAPodThatLaterAnswersIsChargedNothing() throws Exception {
        OkHttpClient client = client(BalancedService.builder(HOST).hedging(Hedging.after(Duration.ofMillis(50)))
                .retryBudget(RetryBudget.unlimited()));

        for (int i = 0; i < 2; i++) {
            try (Response response = client.newCall(get()).execute()) {
                assertThat(response.body().string()).isEqualTo(QUICK);
            }
        }
        // The slow pod answers its cancelled attempts 5 s after they arrived, to connections already cut.
        Thread.sleep(5_500);

        assertThat(arrived.get(SLOW).get()).as("attempts that reached the slow pod").isEqualTo(2);
        assertThat(heard.chargesTo(SLOW)).isEmpty();
        assertThat(interceptor.loadBalancer(HOST).stats(pod(SLOW)).inFlight()).isZero();
    }

    @Test
    void hedgesDrawFromTheRetryBudget() throws Exception {
        OkHttpClient client = client(BalancedService.builder(HOST).hedging(Hedging.after(Duration.ofMillis(50)))
                .retryBudget(RetryBudget.builder().ratio(0).minRetriesPerSecond(0).build()));

        for (int i = 0; i < 2; i++) {
            try (Response response = client.newCall(get()).execute()) {
                response.body().string();
            }
        }

        assertThat(picksByAttempt).as("no hedge without budget").doesNotContainKey(2);
        assertThat(heard.budgetExhausted.get()).isEqualTo(2);
    }

    @Test
    void postsAreNotHedged() throws Exception {
        OkHttpClient client = client(BalancedService.builder(HOST).hedging(Hedging.after(Duration.ofMillis(50)))
                .retryBudget(RetryBudget.unlimited()));

        for (int i = 0; i < 2; i++) {
            Request post = new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/")
                    .post(RequestBody.create("order", MediaType.get("text/plain"))).build();
            try (Response response = client.newCall(post).execute()) {
                response.body().string();
            }
        }

        assertThat(picksByAttempt).as("no hedge of a POST").doesNotContainKey(2);
        assertThat(arrived.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(2);
    }

    @Test
    void aHedgingPercentileOutsideItsRangeIsRefused() {
        assertThatThrownBy(() -> Hedging.atPercentile(100, Duration.ofMillis(50)))
                .hasMessage("hedging percentile is 100.0; expected 50 or more and below 100, such as 95");
    }
}
