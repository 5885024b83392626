package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import java.io.IOException;
import java.io.InterruptedIOException;
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

/** A pod that accepts and never answers, with only a call timeout set, and with a per-try timeout. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CallTimeoutTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String HANGING = "127.0.0.3";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private final RecordingListener heard = new RecordingListener();

    @BeforeEach
    void start() {
        pods = new LocalPods("127.0.0.2", HANGING);
        pods.behaviour(ip -> ip.equals(HANGING)
                ? new MockResponse.Builder().headersDelay(1, TimeUnit.MINUTES).body("late").build()
                : new MockResponse.Builder().body(ip).build());
    }

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        pods.close();
    }

    private OkHttpClient client(BalancedService.Builder service, Duration callTimeout) {
        interceptor = LoadBalancingInterceptor.builder().service(service.build()).listener(heard).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        // The read timeout stays at OkHttp's default of 10 s: only the call timeout can end a hanging attempt.
        return new OkHttpClient.Builder().addInterceptor(interceptor).callTimeout(callTimeout).build();
    }

    private BalancedService.Builder service() {
        return BalancedService.builder(HOST).target("static:///127.0.0.2:" + pods.port() + "," + HANGING + ":" + pods.port());
    }

    private String get(OkHttpClient client) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build())
                .execute()) {
            return response.body().string();
        }
    }

    @Test
    void hangingPodWithOnlyACallTimeoutIsEjectedAfterThePolicysCountOfFailures() throws Exception {
        // State changes run on the reporting thread here, so the ejection is in effect when the third
        // timed-out call returns; on podlb's pool a call or two may start before it is (SerialOrderTest
        // covers that hand-off), and this test counts the policy's failures exactly.
        OkHttpClient client = client(service().ejection(EjectionPolicy.builder().consecutiveFailures(3)
                .baseEjectionTime(Duration.ofMinutes(5)).build()).customize(lb -> lb.executor(Runnable::run)),
                // Long enough that no call to the answering pod runs out of it on a loaded machine (at a load
                // of 20 on 2 cores, a fourth call ran out of 500 ms): only the hanging pod's calls may time out.
                Duration.ofSeconds(2));
        LoadBalancer lb = interceptor.loadBalancer(HOST);
        Endpoint hanging = lb.endpoints().endpoints().stream()
                .filter(e -> e.address().getHostAddress().equals(HANGING)).findFirst().orElseThrow();

        int timedOut = 0;
        for (int i = 0; i < 12 && !lb.isEjected(hanging); i++) {
            try {
                assertThat(get(client)).isEqualTo("127.0.0.2");
            } catch (InterruptedIOException e) {
                assertThat(e).hasMessage("timeout");
                timedOut++;
            }
        }

        assertThat(lb.isEjected(hanging)).as("hanging pod ejected").isTrue();
        assertThat(timedOut).as("calls the call timeout ended").isEqualTo(3);
        assertThat(heard.chargesTo(HANGING)).hasSize(3).allMatch(c -> c.outcome().kind() == Outcome.Kind.TIMEOUT);
        assertThat(heard.calls).filteredOn(c -> c.kind() == CallOutcome.Kind.TIMED_OUT).hasSize(3);
        for (int i = 0; i < 10; i++) {
            assertThat(get(client)).isEqualTo("127.0.0.2");
        }
    }

    @Test
    void perTryTimeoutLeavesTheRetryTimeInsideTheCallTimeout() throws Exception {
        OkHttpClient client = client(service().perTryTimeout(Duration.ofMillis(200)).ejection(EjectionPolicy.disabled()),
                Duration.ofSeconds(10));

        for (int i = 0; i < 10; i++) {
            assertThat(get(client)).isEqualTo("127.0.0.2");
        }

        assertThat(heard.chargesTo(HANGING)).as("attempts on the hanging pod").isNotEmpty()
                .allMatch(c -> c.outcome().kind() == Outcome.Kind.TIMEOUT);
        assertThat(heard.retries.get()).isEqualTo(heard.chargesTo(HANGING).size());
    }

    @Test
    void perTryTimeoutBelowAMillisecondIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> service().perTryTimeout(Duration.ofNanos(10)))
                .hasMessage("perTryTimeout of service " + HOST + " is PT0.00000001S; expected 1 ms or more, such as 500ms");
    }
}
