package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.count;
import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Least-request by the power of two choices, over requests in flight and weights. */
class LeastRequestPickerTest {
    private final Map<Endpoint, FakeStats> stats = new HashMap<>();

    private Picker picker(PickerPolicy policy, List<Endpoint> endpoints) {
        return Fixtures.instance(policy).newPicker(FakeStats.pickable(endpoints, stats));
    }

    @Test
    void theLessLoadedOfTwoIsAlwaysPicked() {
        List<Endpoint> two = endpoints(2);
        Picker picker = picker(Pickers.leastRequest(), two);
        stats.get(two.get(0)).inFlight = 3;
        stats.get(two.get(1)).inFlight = 1;
        assertThat(count(picker, 1000)).containsOnlyKeys(two.get(1));
        stats.get(two.get(0)).inFlight = 0; // live: the same picker follows the load
        assertThat(count(picker, 1000)).containsOnlyKeys(two.get(0));
    }

    @Test
    void theMostLoadedPodLosesEveryDraw() {
        List<Endpoint> three = endpoints(3);
        Picker picker = picker(Pickers.leastRequest(), three);
        stats.get(three.get(2)).inFlight = 5;
        // Two choices are always two pods, so the busiest one never wins.
        assertThat(count(picker, 3000)).containsOnlyKeys(three.get(0), three.get(1));
    }

    @Test
    void moreChoicesFindTheIdlePodMoreOften() {
        List<Endpoint> ten = endpoints(10);
        Picker two = picker(Pickers.leastRequest(), ten);
        Picker eight = picker(Pickers.leastRequest().choices(8), ten);
        for (int i = 1; i < 10; i++) {
            stats.get(ten.get(i)).inFlight = 4;
        }
        int picks = 20_000;
        // With 2 choices the idle pod is in the draw 2 times in 10 (0.2); with 8, in most of them.
        assertThat(count(two, picks).get(ten.get(0))).isBetween(picks * 17 / 100, picks * 23 / 100);
        assertThat(count(eight, picks).get(ten.get(0))).isGreaterThan(picks * 55 / 100);
    }

    @Test
    void idlePodsAreSpreadEvenly() {
        Map<Endpoint, Integer> counts = count(picker(Pickers.leastRequest(), endpoints(4)), 40_000);
        // Ties go to the first of two random draws; 9,300 to 10,700 is over seven standard deviations wide.
        assertThat(counts).hasSize(4).allSatisfy((e, n) -> assertThat(n).isBetween(9_300, 10_700));
    }

    @Test
    void idlePodsAreSharedByWeight() {
        List<Endpoint> pods = List.of(Endpoint.builder("10.0.0.1", 8080).weight(3).build(),
                Endpoint.builder("10.0.0.2", 8080).weight(1).build());
        Map<Endpoint, Integer> counts = count(picker(Pickers.leastRequest(), pods), 40_000);
        assertThat(counts.get(pods.get(0))).isBetween(29_300, 30_700);
    }

    @Test
    void aHeavierPodTakesMoreRequestsInFlight() {
        List<Endpoint> pods = List.of(Endpoint.builder("10.0.0.1", 8080).weight(4).build(),
                Endpoint.builder("10.0.0.2", 8080).weight(1).build());
        Picker picker = picker(Pickers.leastRequest(), pods);
        stats.get(pods.get(0)).inFlight = 3; // 3 for a weight of 4 is less than 1 for a weight of 1
        stats.get(pods.get(1)).inFlight = 1;
        assertThat(count(picker, 1000)).containsOnlyKeys(pods.get(0));
        stats.get(pods.get(0)).inFlight = 5;
        assertThat(count(picker, 1000)).containsOnlyKeys(pods.get(1));
    }

    @Test
    void aPodOfWeightZeroIsNeverPickedWhileAnotherHasWeight() {
        Endpoint zero = Endpoint.builder("10.0.0.1", 8080).weight(0).build();
        Endpoint one = Endpoint.builder("10.0.0.2", 8080).weight(1).build();
        Endpoint two = Endpoint.builder("10.0.0.3", 8080).weight(2).build();
        assertThat(count(picker(Pickers.leastRequest(), List.of(zero, one, two)), 3000)).containsOnlyKeys(one, two);
        assertThat(count(picker(Pickers.leastRequest(), List.of(zero, one)), 100)).containsOnlyKeys(one);
    }

    @Test
    void podsAllOfWeightZeroArePickedAlike() {
        List<Endpoint> zeros = new ArrayList<>();
        for (Endpoint e : endpoints(3)) {
            zeros.add(e.toBuilder().weight(0).build());
        }
        assertThat(count(picker(Pickers.leastRequest(), zeros), 30_000))
                .hasSize(3).allSatisfy((e, n) -> assertThat(n).isBetween(9_300, 10_700));
    }

    @Test
    void attemptsInFlightThroughALoadBalancerSteerPicks() {
        ManualScheduler time = new ManualScheduler();
        List<Endpoint> pods = endpoints(2);
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time)
                .picker(Pickers.leastRequest()).build()) {
            Attempt first = lb.start(pods.get(0));
            Attempt second = lb.start(pods.get(0));
            for (int i = 0; i < 100; i++) {
                assertThat(lb.pick()).isEqualTo(pods.get(1));
            }
            first.end(Outcome.response(200));
            second.cancel();
            Attempt third = lb.start(pods.get(1));
            for (int i = 0; i < 100; i++) {
                assertThat(lb.pick()).isEqualTo(pods.get(0));
            }
            third.end(Outcome.response(200));
            assertThat(lb.stats(pods.get(0)).inFlight()).isZero();
            assertThat(lb.stats(pods.get(1)).inFlight()).isZero();
        }
    }

    @Test
    void choicesOutsideTwoToAHundredAreRefused() {
        assertThatThrownBy(() -> Pickers.leastRequest().choices(1))
                .hasMessage("least-request choices is 1; expected 2 to 100, such as 2 (the power of two choices)");
        assertThatThrownBy(() -> Pickers.leastRequest().choices(101)).hasMessageStartingWith("least-request choices is 101;");
    }

    @Test
    void latencySettingsNeedALatencyAwarePicker() {
        assertThatThrownBy(() -> Pickers.leastRequest().latencyDecay(Duration.ofSeconds(5)))
                .hasMessage("least-request latencyDecay applies only to a latency-aware least-request; expected"
                        + " latencyAware(true) before it");
        assertThatThrownBy(() -> Pickers.leastRequest().failurePenalty(4))
                .hasMessageStartingWith("least-request failurePenalty applies only to a latency-aware");
        assertThatThrownBy(() -> Pickers.leastRequest().latencyAware(true).failurePenalty(4).latencyAware(false))
                .hasMessageStartingWith("least-request latencyAware(false) would ignore");
    }

    @Test
    void badLatencySettingsAreRefused() {
        LeastRequest peakEwma = Pickers.leastRequest().latencyAware(true);
        assertThatThrownBy(() -> peakEwma.latencyDecay(Duration.ZERO))
                .hasMessage("least-request latencyDecay is PT0S; expected a positive duration such as 10s");
        assertThatThrownBy(() -> peakEwma.failurePenalty(0.5))
                .hasMessage("least-request failurePenalty is 0.5; expected 1 to 100, such as 2 (each failure in a row"
                        + " doubles a pod's cost)");
        assertThatThrownBy(() -> peakEwma.failurePenalty(Double.NaN)).hasMessageStartingWith("least-request failurePenalty is NaN;");
    }

    @Test
    void settingsReadBackAndNameThePolicy() {
        LeastRequest policy = Pickers.leastRequest().choices(3).latencyAware(true).latencyDecay(Duration.ofSeconds(5))
                .failurePenalty(4);
        assertThat(policy.choices()).isEqualTo(3);
        assertThat(policy.latencyDecay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(policy.failurePenalty()).isEqualTo(4);
        assertThat(policy.slowStart()).isNull();
        assertThat(policy).hasToString("least-request (3 choices, latency-aware: Peak-EWMA decaying over PT5S,"
                + " failure penalty x4.0)");
        assertThat(Pickers.leastRequest()).hasToString("least-request (2 choices)");
    }
}
