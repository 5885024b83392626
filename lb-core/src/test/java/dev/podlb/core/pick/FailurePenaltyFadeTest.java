package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pod that failed a few calls in a row during a blip, too few to be ejected, and answers well
 * afterwards: latency-aware least-request must not starve it for good. Traffic runs on a
 * {@link ManualScheduler}: a call starts every millisecond and takes {@link #CALL}.
 */
class FailurePenaltyFadeTest {
    private static final Duration CALL = Duration.ofMillis(3);
    private static final Duration DECAY = Duration.ofSeconds(10);

    private final ManualScheduler time = new ManualScheduler();
    private final List<Endpoint> pods = endpoints(3);
    private final Endpoint blipped = pods.get(2);
    private final Queue<Attempt> inFlight = new ArrayDeque<>();
    private LoadBalancer lb;

    @AfterEach
    void close() {
        lb.close();
    }

    private void build(EjectionPolicy ejection) {
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time).ejection(ejection)
                .picker(Pickers.leastRequest().latencyAware(true).latencyDecay(DECAY)).build();
    }

    /** {@code millis} of traffic, every pod answering 200; returns each pod's calls. */
    private Map<Endpoint, Integer> traffic(long millis) {
        Map<Endpoint, Integer> calls = new HashMap<>();
        int callMillis = (int) CALL.toMillis();
        for (long t = 0; t < millis; t++) {
            Endpoint pod = lb.pick();
            calls.merge(pod, 1, Integer::sum);
            inFlight.add(lb.start(pod));
            time.advance(Duration.ofMillis(1));
            if (inFlight.size() >= callMillis) {
                inFlight.remove().end(Outcome.response(200));
            }
        }
        return calls;
    }

    private void blip(int failures) {
        while (!inFlight.isEmpty()) {
            inFlight.remove().end(Outcome.response(200)); // calls from before the blip end first
        }
        for (int i = 0; i < failures; i++) {
            Attempt attempt = lb.start(blipped);
            time.advance(Duration.ofMillis(1));
            attempt.end(Outcome.response(503));
        }
        assertThat(lb.stats(blipped).consecutiveFailures()).as("the blip's 503s were met").isEqualTo(failures);
    }

    @Test
    void aPodWithThreeFailuresInARowGetsCallsAgainWithinTheDecayWindow() {
        build(EjectionPolicy.defaults());
        traffic(1_000);
        blip(3);
        assertThat(lb.isEjected(blipped)).as("too few failures to be ejected").isFalse();

        Map<Endpoint, Integer> window = traffic(DECAY.toMillis());
        Map<Endpoint, Integer> after = traffic(3_000);

        assertThat(window.getOrDefault(blipped, 0)).as("calls to the healed pod within the decay window").isPositive();
        assertThat(lb.stats(blipped).consecutiveFailures()).isZero();
        assertThat(after.getOrDefault(blipped, 0)).as("its fair share after the window, of 3,000")
                .isGreaterThan(3_000 / 3 / 2);
    }

    @Test
    void withEjectionOffAPodWithFourFailuresIsNotStarvedEither() {
        build(EjectionPolicy.disabled());
        traffic(1_000);
        blip(4);

        Map<Endpoint, Integer> window = traffic(DECAY.toMillis());
        Map<Endpoint, Integer> after = traffic(3_000);

        assertThat(window.getOrDefault(blipped, 0)).isPositive();
        assertThat(after.getOrDefault(blipped, 0)).isGreaterThan(3_000 / 3 / 2);
    }

    @Test
    void whileThePodStillFailsItIsKeptOutUntilItsFailuresEjectIt() {
        build(EjectionPolicy.defaults());
        traffic(1_000);
        blip(3);
        // Its next calls fail too: each one it is given counts, and the fifth in a row ejects it.
        for (int second = 0; second < 30 && !lb.isEjected(blipped); second++) {
            for (int t = 0; t < 1_000; t++) {
                Endpoint pod = lb.pick();
                Attempt attempt = lb.start(pod);
                time.advance(Duration.ofMillis(1));
                attempt.end(Outcome.response(pod.equals(blipped) ? 503 : 200));
            }
        }
        assertThat(lb.isEjected(blipped)).as("a pod that keeps failing is ejected, not silently starved").isTrue();
    }
}
