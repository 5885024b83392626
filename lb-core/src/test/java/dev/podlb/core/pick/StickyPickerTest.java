package dev.podlb.core.pick;

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
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sticky picker's promises, over 1,000,000 random keys: even load, and when an endpoint comes
 * or goes, only the keys that must move do, and never between endpoints that stay.
 */
class StickyPickerTest {
    private static final int KEYS = 1_000_000;
    private static final double TOLERANCE = 1.10;

    /** Key i of a fixed pseudo-random sequence: a 128-bit hex string, like a session id. */
    private static final IntFunction<String> KEY = new IntFunction<>() {
        private final long[] seeds = new SplittableRandom(20261123).longs(2L * KEYS).toArray();

        @Override
        public String apply(int i) {
            return Long.toHexString(seeds[2 * i]) + Long.toHexString(seeds[2 * i + 1]);
        }
    };

    private static Endpoint[] assign(List<Endpoint> endpoints) {
        Picker picker = picker(Pickers.sticky(), endpoints);
        Endpoint[] owners = new Endpoint[KEYS];
        for (int i = 0; i < KEYS; i++) {
            owners[i] = picker.pick(PickRequest.sticky(KEY.apply(i)));
        }
        return owners;
    }

    @ParameterizedTest(name = "{0} endpoints")
    @ValueSource(ints = {10, 100})
    void loadIsEvenToWithinTenPercentOfTheMean(int n) {
        Map<Endpoint, Integer> load = new HashMap<>();
        for (Endpoint e : assign(endpoints(n))) {
            load.merge(e, 1, Integer::sum);
        }
        assertThat(load).hasSize(n);
        double mean = (double) KEYS / n;
        assertThat(Collections.max(load.values()) / mean).isLessThanOrEqualTo(TOLERANCE);
    }

    @ParameterizedTest(name = "{0} endpoints")
    @ValueSource(ints = {10, 100})
    void removingAnEndpointMovesOnlyItsKeys(int n) {
        List<Endpoint> all = endpoints(n);
        Endpoint[] before = assign(all);
        for (int removed : new int[] {0, n / 2, n - 1}) {
            List<Endpoint> rest = new ArrayList<>(all);
            Endpoint gone = rest.remove(removed);
            Endpoint[] after = assign(rest);
            int moved = 0;
            for (int i = 0; i < KEYS; i++) {
                if (!after[i].equals(before[i])) {
                    moved++;
                    assertThat(before[i]).as("key %d moved from a pod that stayed", i).isEqualTo(gone);
                } else {
                    assertThat(before[i]).isNotEqualTo(gone);
                }
            }
            assertThat((double) moved / KEYS).as("share of keys moved when endpoint %d of %d leaves", removed, n)
                    .isLessThanOrEqualTo(TOLERANCE / n);
        }
    }

    @ParameterizedTest(name = "{0} endpoints")
    @ValueSource(ints = {10, 100})
    void addingAnEndpointMovesKeysOnlyToIt(int n) {
        List<Endpoint> all = endpoints(n);
        Endpoint[] before = assign(all);
        List<Endpoint> more = new ArrayList<>(all);
        Endpoint added = endpoints(n + 1, 1).get(0);
        more.add(added);
        Endpoint[] after = assign(more);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (!after[i].equals(before[i])) {
                moved++;
                assertThat(after[i]).as("key %d moved between pods that stayed", i).isEqualTo(added);
            }
        }
        assertThat(moved).isPositive();
        assertThat((double) moved / KEYS).isLessThanOrEqualTo(TOLERANCE / (n + 1));
    }

    @Test
    void replicasThatSawDifferentChangesOnTheWayPickAlikeOnceTheySeeTheSameEndpoints() {
        List<Endpoint> now = endpoints(2, 120);
        PickerInstance throughChanges = Fixtures.instance(Pickers.sticky());
        throughChanges.newPicker(Fixtures.pickable(endpoints(100)));
        throughChanges.newPicker(Fixtures.pickable(endpoints(3, 90)));
        Picker updated = throughChanges.newPicker(Fixtures.pickable(now));
        Picker fresh = picker(Pickers.sticky(), now);
        for (int i = 0; i < KEYS; i += 10) {
            PickRequest request = PickRequest.sticky(KEY.apply(i));
            assertThat(updated.pick(request)).as("key %d", i).isEqualTo(fresh.pick(request));
        }
    }

    @Test
    void theMappingIsFixedAcrossReleasesSoMixedClientVersionsAgree() {
        Picker picker = picker(Pickers.sticky(), endpoints(10));
        // Pinned values: if this changes, upgrading half of a fleet splits every session.
        assertThat(picker.pick(PickRequest.sticky("user-1")).authority()).isEqualTo("10.0.0.5:8080");
        assertThat(picker.pick(PickRequest.sticky("user-2")).authority()).isEqualTo("10.0.0.3:8080");
        assertThat(picker.pick(PickRequest.sticky("user-3")).authority()).isEqualTo("10.0.0.8:8080");
        assertThat(picker.pick(PickRequest.sticky("7f3c9e")).authority()).isEqualTo("10.0.0.2:8080");
    }
}
