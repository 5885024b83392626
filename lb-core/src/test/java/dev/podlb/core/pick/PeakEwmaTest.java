package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Latency-aware least-request over a real load balancer: each attempt's duration is the time the
 * {@link ManualScheduler} moved between {@code lb.start} and {@code attempt.end}.
 */
class PeakEwmaTest {
    private final ManualScheduler time = new ManualScheduler();
    private final List<Endpoint> pods = endpoints(2);
    private final Endpoint fast = pods.get(0);
    private final Endpoint other = pods.get(1);
    private LoadBalancer lb;

    private LoadBalancer build(PickerPolicy picker) {
        // Ejection off: these tests are about what the picker does with a failing pod, not about ejecting it.
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time)
                .ejection(EjectionPolicy.disabled()).picker(picker).build();
        return lb;
    }

    @AfterEach
    void close() {
        lb.close();
    }

    /** One attempt on {@code pod} that takes {@code duration} and ends with {@code outcome}. */
    private void call(Endpoint pod, Duration duration, Outcome outcome) {
        Attempt attempt = lb.start(pod);
        time.advance(duration);
        attempt.end(outcome);
    }

    private Map<Endpoint, Integer> count(int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(lb.pick(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void aSlowerAnswerReplacesTheAverageAtOnceAndAFasterOneIsAveragedIn() {
        build(Pickers.leastRequest().latencyAware(true));
        call(fast, Duration.ofMillis(2), Outcome.response(200));
        assertThat(lb.stats(fast).latencyNanos()).isEqualTo(Duration.ofMillis(2).toNanos());
        call(fast, Duration.ofMillis(10), Outcome.response(200));
        assertThat(lb.stats(fast).latencyNanos()).isEqualTo(Duration.ofMillis(10).toNanos());
        time.advance(Duration.ofMillis(999));
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        // One second after the last sample the old average keeps exp(-1 s / 10 s) of its weight.
        double keep = Math.exp(-0.1);
        assertThat((double) lb.stats(fast).latencyNanos()).isCloseTo(10e6 * keep + 1e6 * (1 - keep), within(1e3));
        assertThat(lb.stats(fast).latencyUpdatedNanos()).isEqualTo(time.nanoTime());
    }

    @Test
    void aSlowPodIsAvoided() {
        build(Pickers.leastRequest().latencyAware(true));
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        call(other, Duration.ofMillis(100), Outcome.response(200));
        assertThat(count(1000)).containsOnlyKeys(fast);
        // Only when the fast pod is about a hundred times busier does the slow one cost less: 1 ms x 121 > 100 ms x 1.
        for (int i = 0; i < 120; i++) {
            lb.start(fast);
        }
        assertThat(count(100)).containsOnlyKeys(other);
    }

    @Test
    void requestsInFlightAloneDoNotSeeTheSlowPod() {
        build(Pickers.leastRequest());
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        call(other, Duration.ofMillis(100), Outcome.response(200));
        assertThat(count(1000)).containsKeys(fast, other);
    }

    @Test
    void aPodThatFailsFastDoesNotAttractTraffic() {
        build(Pickers.leastRequest().latencyAware(true));
        Endpoint failing = other;
        call(fast, Duration.ofMillis(5), Outcome.response(200));
        call(failing, Duration.ofNanos(100_000), Outcome.response(503));
        assertThat(lb.stats(failing).consecutiveFailures()).isEqualTo(1);
        assertThat(lb.stats(failing).latencyNanos()).isLessThan(lb.stats(fast).latencyNanos());
        // Fifty times faster, but its one failure makes it cost twice what the healthy pod costs.
        assertThat(count(1000)).containsOnlyKeys(fast);
        call(failing, Duration.ofMillis(1), Outcome.response(200));
        assertThat(lb.stats(failing).consecutiveFailures()).isZero();
        assertThat(count(1000)).containsOnlyKeys(failing); // recovered, and faster than the other now
    }

    @Test
    void eachFailureInARowMultipliesTheCostByThePenalty() {
        build(Pickers.leastRequest().latencyAware(true).failurePenalty(3));
        Endpoint failing = other;
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        call(failing, Duration.ofMillis(1), Outcome.response(503));
        call(failing, Duration.ofMillis(1), Outcome.response(503));
        assertThat(lb.stats(failing).consecutiveFailures()).isEqualTo(2);
        // The failing pod costs 1 ms x 9: it wins only once the healthy one has 9 requests in flight.
        for (int i = 0; i < 8; i++) {
            lb.start(fast);
        }
        assertThat(count(100)).containsOnlyKeys(fast);
        lb.start(fast);
        assertThat(count(100)).containsOnlyKeys(failing);
    }

    @Test
    void aPodLeftAloneAfterASlowSpellIsTriedAgainAsItsLatencyDecays() {
        build(Pickers.leastRequest().latencyAware(true));
        Endpoint paused = other;
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        call(paused, Duration.ofMillis(200), Outcome.response(200)); // a GC pause
        assertThat(count(100)).containsOnlyKeys(fast);
        time.advance(Duration.ofSeconds(50));
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        // 50 s on, 200 ms has decayed to 200 ms x exp(-5) = 1.3 ms: still dearer than 1 ms.
        assertThat(count(100)).containsOnlyKeys(fast);
        time.advance(Duration.ofSeconds(10));
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        // 60 s on: 200 ms x exp(-6) = 0.5 ms.
        assertThat(count(100)).containsOnlyKeys(paused);
    }

    @Test
    void aShorterDecayForgivesSooner() {
        build(Pickers.leastRequest().latencyAware(true).latencyDecay(Duration.ofSeconds(1)));
        Endpoint paused = other;
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        call(paused, Duration.ofMillis(200), Outcome.response(200));
        time.advance(Duration.ofSeconds(6));
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        assertThat(count(100)).containsOnlyKeys(paused);
    }

    @Test
    void aPodWithNoSampleYetCompetesOnLoadAlone() {
        build(Pickers.leastRequest().latencyAware(true));
        Endpoint fresh = other;
        call(fast, Duration.ofMillis(1), Outcome.response(200));
        lb.start(fast);
        assertThat(count(100)).containsOnlyKeys(fresh);
    }
}
