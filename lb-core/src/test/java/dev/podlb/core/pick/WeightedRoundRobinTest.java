package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.count;
import static dev.podlb.core.pick.Fixtures.endpoints;
import static dev.podlb.core.pick.Fixtures.picker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Round-robin over endpoints of different weights: smooth weighted round-robin, as nginx's. */
class WeightedRoundRobinTest {
    private static List<Endpoint> weighted(int... weights) {
        List<Endpoint> list = new ArrayList<>();
        List<Endpoint> plain = endpoints(weights.length);
        for (int i = 0; i < weights.length; i++) {
            list.add(plain.get(i).toBuilder().weight(weights[i]).build());
        }
        return list;
    }

    /** nginx's smooth weighted round-robin, one turn at a time, for checking the schedule against. */
    private static int[] naiveSmooth(int[] weights, int turns) {
        long[] current = new long[weights.length];
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] picked = new int[turns];
        for (int t = 0; t < turns; t++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            picked[t] = best;
        }
        return picked;
    }

    @Test
    void weightsFiveOneOneGiveTheSmoothSequence() {
        List<Endpoint> pods = weighted(5, 1, 1);
        Endpoint a = pods.get(0);
        Endpoint b = pods.get(1);
        Endpoint c = pods.get(2);
        Picker picker = picker(Pickers.roundRobin(), pods);
        List<Endpoint> picks = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            picks.add(picker.pick(PickRequest.none()));
        }
        // The rotation starts anywhere in the period, as unweighted round-robin's does.
        List<Endpoint> period = List.of(a, a, b, a, c, a, a);
        List<Endpoint> expected = new ArrayList<>();
        int start = -1;
        for (int s = 0; s < 7 && start < 0; s++) {
            List<Endpoint> rotated = new ArrayList<>(period);
            Collections.rotate(rotated, -s);
            if (rotated.equals(picks.subList(0, 7))) {
                start = s;
                expected.addAll(rotated);
                expected.addAll(rotated);
            }
        }
        assertThat(start).as("picks %s are a rotation of %s", picks, period).isNotNegative();
        assertThat(picks).isEqualTo(expected);
    }

    @Test
    void theScheduleIsNginxsSmoothWeightedRoundRobin() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 50; round++) {
            int[] weights = new int[1 + random.nextInt(12)];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = 1 + random.nextInt(random.nextBoolean() ? 4 : 40); // repeated weights and distinct ones
            }
            int[] schedule = Weights.smoothSchedule(weights);
            assertThat(schedule).as("weights %s", java.util.Arrays.toString(weights))
                    .containsExactly(naiveSmooth(weights, schedule.length));
        }
    }

    @Test
    void eachEndpointTakesTurnsInProportionToItsWeight() {
        List<Endpoint> pods = weighted(3, 2, 1);
        Map<Endpoint, Integer> counts = count(picker(Pickers.roundRobin(), pods), 600);
        assertThat(counts).containsEntry(pods.get(0), 300).containsEntry(pods.get(1), 200).containsEntry(pods.get(2), 100);
    }

    @Test
    void weightsWithACommonDivisorKeepTheirShares() {
        List<Endpoint> pods = weighted(30_000, 10_000);
        Map<Endpoint, Integer> counts = count(picker(Pickers.roundRobin(), pods), 400);
        assertThat(counts).containsEntry(pods.get(0), 300).containsEntry(pods.get(1), 100);
    }

    @Test
    void weightsTooLargeForATableAreScaledKeepingTheirShares() {
        int[] weights = {65_535, 65_534, 32_767, 3};
        int[] reduced = Weights.reduced(weights);
        long total = 0;
        for (int w : reduced) {
            total += w;
        }
        assertThat(total).isLessThanOrEqualTo(Weights.MAX_TABLE + weights.length);
        assertThat(reduced[3]).isEqualTo(1); // scaled below 1, kept at 1: still picked
        assertThat((double) reduced[0] / reduced[2]).isCloseTo(2.0, org.assertj.core.api.Assertions.within(0.001));
    }

    @Test
    void aPodOfWeightZeroIsNeverPickedWhileAnotherHasWeight() {
        List<Endpoint> pods = weighted(0, 1, 2);
        assertThat(count(picker(Pickers.roundRobin(), pods), 300)).containsOnlyKeys(pods.get(1), pods.get(2))
                .containsEntry(pods.get(2), 200);
    }

    @Test
    void podsAllOfWeightZeroTakeEqualTurns() {
        List<Endpoint> pods = weighted(0, 0, 0);
        assertThat(count(picker(Pickers.roundRobin(), pods), 300)).hasSize(3).allSatisfy((e, n) -> assertThat(n).isEqualTo(100));
    }

    @Test
    void equalWeightsKeepThePlainRotation() {
        Picker picker = picker(Pickers.roundRobin(), weighted(7, 7, 7));
        assertThat(picker.toString()).isEqualTo("round-robin over 3 endpoints");
        assertThat(picker(Pickers.roundRobin(), weighted(7, 1)).toString()).isEqualTo("round-robin over 2 endpoints, weighted");
    }

    @Test
    void keylessStickyRequestsFollowTheWeightsToo() {
        List<Endpoint> pods = weighted(3, 1);
        Map<Endpoint, Integer> counts = count(picker(Pickers.sticky(), pods), 400);
        assertThat(counts).containsEntry(pods.get(0), 300).containsEntry(pods.get(1), 100);
    }
}
