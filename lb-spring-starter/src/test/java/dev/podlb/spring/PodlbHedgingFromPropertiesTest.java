package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code podlb.services.<name>.hedging.*} reaches the service: with a quick pod and one that takes
 * far longer than the test's timeout to answer, every call answers from the quick pod, because the
 * call that went first to the slow pod hedged to the quick one, and the slow attempt is cancelled.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PodlbHedgingFromPropertiesTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String QUICK = "127.0.0.2";
    private static final String SLOW = "127.0.0.3";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PodlbAutoConfiguration.class, PodlbOkHttpAutoConfiguration.class))
            .withPropertyValues("podlb.services.backend.host=" + HOST, "podlb.services.backend.picker=round-robin");

    @Test
    void hedgingAfterAFixedDelayAnswersFromTheQuickPod() throws Exception {
        assertHedged("podlb.services.backend.hedging.after=50ms");
    }

    @Test
    void hedgingAtAPercentileAnswersFromTheQuickPodUntilThePercentileIsKnown() throws Exception {
        assertHedged("podlb.services.backend.hedging.percentile=95", "podlb.services.backend.hedging.initial-delay=50ms");
    }

    private void assertHedged(String... hedging) throws Exception {
        // The slow pod would answer after 2 minutes: past the test's timeout, so only a hedge lets the call end.
        try (LoopbackPods pods = new LoopbackPods().start(QUICK, 0).start(SLOW, 120_000)) {
            runner.withPropertyValues("podlb.services.backend.target=" + pods.staticTarget()).withPropertyValues(hedging)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
                        lb.awaitReady(Duration.ofSeconds(10));
                        OkHttpClient client = context.getBean(OkHttpClient.class);
                        // Round-robin over two pods: one of the two calls goes first to the slow pod.
                        for (int i = 0; i < 2; i++) {
                            try (Response response = client.newCall(new Request.Builder()
                                    .url("http://" + HOST + ":" + pods.port() + "/").build()).execute()) {
                                assertThat(response.body().string()).isEqualTo(QUICK);
                            }
                        }
                        // The slow pod's server counts a request when its own thread has read it, which on a
                        // loaded machine can come after the hedged call has ended and cancelled that attempt.
                        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                                assertThat(pods.requests(SLOW)).as("attempts that reached the slow pod").isGreaterThanOrEqualTo(1));
                        assertThat(lb.stats(pod(lb, SLOW)).inFlight()).as("the slow attempts, cancelled, are no longer in flight")
                                .isZero();
                    });
        }
    }

    private static Endpoint pod(LoadBalancer lb, String ip) {
        return lb.endpoints().endpoints().stream().filter(e -> e.address().getHostAddress().equals(ip)).findFirst().orElseThrow();
    }
}
