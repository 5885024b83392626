package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.testing.LocalPods;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The call's deadline and its cancellation bound the waits between attempts: a backoff far longer
 * than the call timeout ends with the call, a cancel ends it at once, and the time between
 * attempts is charged to no pod. Two pods on 127.0.0.2–3 answering 503 to every request.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class DeadlineTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private final RecordingListener heard = new RecordingListener();
    private final AtomicInteger unavailable = new AtomicInteger();

    @BeforeEach
    void start() {
        pods = new LocalPods("127.0.0.2", "127.0.0.3");
        pods.behaviour(ip -> {
            unavailable.incrementAndGet();
            return new MockResponse.Builder().code(503).body("busy").build();
        });
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    /** Ten attempts, each after a backoff of up to 10 s. */
    private OkHttpClient client(Duration callTimeout) {
        interceptor = LoadBalancingInterceptor.builder().service(BalancedService.builder(HOST)
                .target("static:///127.0.0.2:" + pods.port() + ",127.0.0.3:" + pods.port())
                .retryOnStatus(503).maxAttempts(10).retryBudget(RetryBudget.unlimited())
                .backoff(Backoff.jittered(Duration.ofSeconds(10), Duration.ofSeconds(10)))
                .ejection(EjectionPolicy.disabled()).build()).listener(heard).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        return interceptor.newClientBuilder().callTimeout(callTimeout).build();
    }

    private Request get() {
        return new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build();
    }

    @Test
    void backoffEndsAtTheCallsDeadlineChargingNoPod() throws Exception {
        OkHttpClient client = client(Duration.ofMillis(200));

        long start = System.nanoTime();
        IOException failure = null;
        try (Response response = client.newCall(get()).execute()) {
            assertThat(response.code()).as("a call that returned").isNotEqualTo(503);
        } catch (InterruptedIOException e) {
            failure = e;
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(failure).hasMessage("timeout");
        // Generous: the backoffs alone would take seconds (each up to 10 s).
        assertThat(elapsedMillis).as("ms until the call failed").isLessThan(2_000);
        assertThat(unavailable.get()).as("503s answered").isPositive();
        assertThat(heard.charges).as("attempts charged").allMatch(c -> c.outcome().kind() == Outcome.Kind.RESPONSE);
        assertThat(heard.calls).extracting(CallOutcome::kind).containsExactly(CallOutcome.Kind.TIMED_OUT);
    }

    @Test
    void cancelEndsTheBackoffAtOnce() throws Exception {
        OkHttpClient client = client(Duration.ZERO);
        CountDownLatch ended = new CountDownLatch(1);
        AtomicReference<IOException> failure = new AtomicReference<>();
        Call call = client.newCall(get());
        call.enqueue(new Callback() {
            @Override
            public void onFailure(Call c, IOException e) {
                failure.set(e);
                ended.countDown();
            }

            @Override
            public void onResponse(Call c, Response response) {
                response.close();
                ended.countDown();
            }
        });
        // The first 503 was answered; the call now waits before its retry (up to 10 s each).
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> heard.retries.get() >= 1);
        call.cancel();

        assertThat(ended.await(2, TimeUnit.SECONDS)).as("call ended within 2 s of its cancel").isTrue();
        assertThat(failure.get()).isNotNull().hasMessage("Canceled");
        assertThat(heard.calls).extracting(CallOutcome::kind).containsExactly(CallOutcome.Kind.CANCELED);
        assertThat(heard.charges).as("attempts charged").allMatch(c -> c.outcome().kind() == Outcome.Kind.RESPONSE);
        client.dispatcher().executorService().shutdown();
    }
}
