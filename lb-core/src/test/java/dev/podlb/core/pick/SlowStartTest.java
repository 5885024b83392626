package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.count;
import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.Readiness;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A new pod's share grows over the slow-start window, by Envoy's formula; on a {@link ManualScheduler}. */
class SlowStartTest {
    private static final Duration WINDOW = Duration.ofSeconds(10);

    private final ManualScheduler time = new ManualScheduler();
    private final List<Endpoint> old = endpoints(3);
    private final Endpoint newcomer = endpoints(4, 1).get(0);

    private PickerInstance instance(PickerPolicy policy) {
        return policy.newInstance(PickerContext.of("backend", time));
    }

    private static List<Endpoint> with(List<Endpoint> endpoints, Endpoint more) {
        List<Endpoint> all = new ArrayList<>(endpoints);
        all.add(more);
        return all;
    }

    /** The newcomer's share of {@code picks}, with 3 warm pods of weight 1 beside it. */
    private double newcomersShare(Picker picker, int picks) {
        return count(picker, picks).getOrDefault(newcomer, 0) / (double) picks;
    }

    /** Envoy's share for the newcomer beside 3 warm pods: f / (3 + f). */
    private static double expectedShare(double factor) {
        return factor / (3 + factor);
    }

    @Test
    void theFactorFollowsEnvoysFormula() {
        SlowStart linear = SlowStart.of(WINDOW);
        assertThat(linear.factor(0)).isEqualTo(0.1);
        assertThat(linear.factor(Duration.ofMillis(500).toNanos())).isEqualTo(0.1); // 5% of the way, below the 10% floor
        assertThat(linear.factor(Duration.ofSeconds(5).toNanos())).isCloseTo(0.5, within(1e-12));
        assertThat(linear.factor(WINDOW.toNanos())).isEqualTo(1.0);
        SlowStart aggressive = linear.aggression(2).minPercent(5);
        assertThat(aggressive.factor(Duration.ofMillis(2500).toNanos())).isCloseTo(0.5, within(1e-12)); // (1/4)^(1/2)
        assertThat(aggressive.factor(Duration.ofSeconds(1).toNanos())).isCloseTo(Math.sqrt(0.1), within(1e-12));
        assertThat(aggressive.factor(Duration.ofMillis(10).toNanos())).isEqualTo(0.05); // sqrt(0.001) is below the floor
        assertThat(aggressive.factor(0)).isEqualTo(0.05);
    }

    @Test
    void roundRobinRampsANewPodByTheFormula() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        roundRobin.newPicker(Fixtures.pickable(old));
        time.advance(Duration.ofSeconds(60));
        Picker picker = roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        for (int second = 0; second < 10; second++) {
            double factor = Math.max(0.1, second / 10.0);
            // Turns are given up evenly, not at random: over 3,000 picks the share is exact to a pick or two.
            assertThat(newcomersShare(picker, 3000)).as("second %d", second)
                    .isCloseTo(expectedShare(factor), within(2 / 3000.0));
            time.advance(Duration.ofSeconds(1));
        }
        assertThat(newcomersShare(picker, 4000)).isEqualTo(0.25);
        // Past the window the factors are final: nothing more is scheduled to recompute them.
        assertThat(time.pendingTasks()).isZero();
    }

    @Test
    void leastRequestRampsANewPodByTheFormula() {
        PickerInstance leastRequest = instance(Pickers.leastRequest().slowStart(SlowStart.of(WINDOW)));
        leastRequest.newPicker(FakeStats.pickable(old, new HashMap<>()));
        time.advance(Duration.ofSeconds(60));
        Picker picker = leastRequest.newPicker(FakeStats.pickable(with(old, newcomer), new HashMap<>()));
        for (int second : new int[] {0, 3, 6}) {
            time.advance(Duration.ofSeconds(second == 0 ? 0 : 3));
            double factor = Math.max(0.1, second / 10.0);
            // Idle pods tie, so the share is that of the draws; 40,000 of them put 0.01 beyond five deviations.
            assertThat(newcomersShare(picker, 40_000)).as("second %d", second)
                    .isCloseTo(expectedShare(factor), within(0.01));
        }
        time.advance(WINDOW);
        assertThat(newcomersShare(picker, 40_000)).isCloseTo(0.25, within(0.012));
    }

    @Test
    void slowStartCombinesWithWeights() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        List<Endpoint> weighted = List.of(old.get(0).toBuilder().weight(2).build(), old.get(1), old.get(2));
        roundRobin.newPicker(Fixtures.pickable(weighted));
        Endpoint heavyNewcomer = newcomer.toBuilder().weight(4).build();
        Picker picker = roundRobin.newPicker(Fixtures.pickable(with(weighted, heavyNewcomer)));
        time.advance(Duration.ofSeconds(5));
        // Weight 4 at half its ramp counts 2, beside 2 + 1 + 1.
        assertThat(count(picker, 6000).get(heavyNewcomer) / 6000.0).isCloseTo(2 / 6.0, within(2 / 6000.0));
    }

    @Test
    void noPodIsSlowedWhenAllAreNew() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        // The first set: every pod is new to this load balancer, none is slowed.
        Picker first = roundRobin.newPicker(Fixtures.pickable(old));
        assertThat(count(first, 300)).hasSize(3).allSatisfy((e, n) -> assertThat(n).isEqualTo(100));
        // Every pod replaced by new ones: nothing warm to carry the traffic, so none is slowed.
        List<Endpoint> replaced = endpoints(10, 3);
        Picker second = roundRobin.newPicker(Fixtures.pickable(replaced));
        assertThat(count(second, 300)).hasSize(3).allSatisfy((e, n) -> assertThat(n).isEqualTo(100));
        assertThat(second.toString()).doesNotContain("slow start");
    }

    @Test
    void aPodOfTheFirstSetIsNotNewWhenItComesBack() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        // Ejected for a while (in the set, not pickable), then back: it is not a new pod.
        EndpointSet set = EndpointSet.of(2, with(old, newcomer));
        roundRobin.newPicker(Fixtures.pickable(set, old, java.util.Set.of(newcomer.socketAddress())));
        Picker back = roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        assertThat(newcomersShare(back, 400)).isEqualTo(0.25);
    }

    @Test
    void aPodReadyAfterTheFirstSetIsNewEvenIfItWasListedNotReady() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        Endpoint starting = newcomer.toBuilder().readiness(Readiness.NOT_READY).build();
        roundRobin.newPicker(Fixtures.pickable(EndpointSet.of(1, with(old, starting)), old, java.util.Set.of()));
        Picker ready = roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        assertThat(newcomersShare(ready, 3100)).isCloseTo(expectedShare(0.1), within(2 / 3100.0));
    }

    @Test
    void aPodThatLeftTheSetIsNewWhenItReturns() {
        PickerInstance roundRobin = instance(Pickers.roundRobin(SlowStart.of(WINDOW)));
        roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        roundRobin.newPicker(Fixtures.pickable(old));
        Picker returned = roundRobin.newPicker(Fixtures.pickable(with(old, newcomer)));
        assertThat(newcomersShare(returned, 3100)).isCloseTo(expectedShare(0.1), within(2 / 3100.0));
    }

    @Test
    void slowStartIsOffByDefault() {
        PickerInstance roundRobin = instance(Pickers.roundRobin());
        roundRobin.newPicker(Fixtures.pickable(old));
        assertThat(newcomersShare(roundRobin.newPicker(Fixtures.pickable(with(old, newcomer))), 400)).isEqualTo(0.25);
        assertThat(Pickers.leastRequest().slowStart()).isNull();
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> SlowStart.of(Duration.ZERO))
                .hasMessage("slow start window is PT0S; expected a positive duration such as 30s");
        assertThatThrownBy(() -> SlowStart.of(WINDOW).aggression(0))
                .hasMessage("slow start aggression is 0.0; expected a positive number such as 1.0 (linear)");
        assertThatThrownBy(() -> SlowStart.of(WINDOW).aggression(Double.NaN))
                .hasMessageStartingWith("slow start aggression is NaN;");
        assertThatThrownBy(() -> SlowStart.of(WINDOW).minPercent(0))
                .hasMessage("slow start minPercent is 0.0; expected more than 0 and at most 100, such as 10");
        assertThatThrownBy(() -> SlowStart.of(WINDOW).minPercent(101)).hasMessageStartingWith("slow start minPercent is 101.0;");
        assertThatThrownBy(() -> Pickers.roundRobin(null)).hasMessage("slowStart");
    }

    @Test
    void settingsReadBackAndNameThemselves() {
        SlowStart slowStart = SlowStart.of(WINDOW).aggression(2).minPercent(5);
        assertThat(slowStart.window()).isEqualTo(WINDOW);
        assertThat(slowStart.aggression()).isEqualTo(2);
        assertThat(slowStart.minPercent()).isEqualTo(5);
        assertThat(slowStart).isEqualTo(SlowStart.of(WINDOW).minPercent(5).aggression(2));
        assertThat(Pickers.roundRobin(slowStart)).hasToString("round-robin with slow start over PT10S (aggression 2.0,"
                + " from 5.0%)");
    }
}
