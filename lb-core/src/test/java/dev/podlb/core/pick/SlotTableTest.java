package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The slot table's promises, on the table itself (every slot, not sampled keys): balance at
 * every size, a table that is a function of the set of identities only, updates that touch only
 * the slots of the pods that came or went and equal a full build, and the mapping of small sets
 * fixed across releases.
 */
class SlotTableTest {
    /** Built once: a 5,000-pod build ranks about 2^22 × 10 slots. */
    private static final Map<Integer, SlotTable> TABLES = new HashMap<>();

    private static SlotTable table(int n) {
        return TABLES.computeIfAbsent(n, k -> SlotTable.of(endpoints(k)));
    }

    /** Each slot's owner, found through the key hash whose top bits are that slot. */
    private static Endpoint[] owners(SlotTable table) {
        int bits = Integer.numberOfTrailingZeros(table.slots());
        Endpoint[] owners = new Endpoint[table.slots()];
        for (int slot = 0; slot < owners.length; slot++) {
            owners[slot] = table.ownerOf((long) slot << (64 - bits));
        }
        return owners;
    }

    private static double busiestOverMean(SlotTable table, int n) {
        Map<Endpoint, Integer> slots = new HashMap<>();
        for (Endpoint owner : owners(table)) {
            slots.merge(owner, 1, Integer::sum);
        }
        assertThat(slots).as("endpoints owning slots").hasSize(n);
        return Collections.max(slots.values()) / ((double) table.slots() / n);
    }

    private static List<Endpoint> without(List<Endpoint> endpoints, int index) {
        List<Endpoint> rest = new ArrayList<>(endpoints);
        rest.remove(index);
        return rest;
    }

    private static List<Endpoint> with(List<Endpoint> endpoints, Endpoint added) {
        List<Endpoint> more = new ArrayList<>(endpoints);
        more.add(added);
        return more;
    }

    @Test
    void theBusiestOf1000PodsOwnsAtMostTenPercentMoreSlotsThanTheMean() {
        assertThat(busiestOverMean(table(1000), 1000)).isLessThanOrEqualTo(1.10);
    }

    @Test
    void theBusiestOf5000PodsOwnsAtMostFifteenPercentMoreSlotsThanTheMean() {
        assertThat(busiestOverMean(table(5000), 5000)).isLessThanOrEqualTo(1.15);
    }

    @Test
    void theTableGrowsOneBitPerSizeClassFrom2To18SlotsUpTo256PodsTo2To22Beyond1536() {
        assertThat(table(1).slots()).isEqualTo(1 << 18);
        assertThat(table(256).slots()).isEqualTo(1 << 18);
        assertThat(table(257).slots()).isEqualTo(1 << 19);
        assertThat(table(384).slots()).isEqualTo(1 << 19);
        assertThat(table(385).slots()).isEqualTo(1 << 20);
        assertThat(table(1000).slots()).isEqualTo(1 << 21);
        assertThat(table(5000).slots()).isEqualTo(1 << 22);
    }

    /**
     * Pinned from the release before size classes (a hash of every slot's owner), so that clients
     * of either release agree on every key of a service of up to 256 pods.
     */
    @ParameterizedTest(name = "{0} pods")
    @CsvSource({"1, 9510FE2D9C5B1D71", "2, C8E60B873ECB66AD", "3, DC9BB84529CB9AF4", "10, 9AAB6B7EE57A9F47",
            "100, 9D511E3D66638D42", "255, 7D5D437E42C701B6", "256, 6B5A9CD4675227E3"})
    void upTo256PodsEverySlotKeepsTheOwnerOfThePreviousRelease(int n, String pinned) {
        long hash = 0;
        for (Endpoint owner : owners(table(n))) {
            hash = Hashing.mix64(hash + owner.identityHash());
        }
        assertThat(Long.toHexString(hash).toUpperCase()).isEqualTo(pinned);
    }

    @ParameterizedTest(name = "{0} pods")
    @ValueSource(ints = {10, 100, 1000, 5000})
    void whenAPodLeavesOnlyItsSlotsMove(int n) {
        List<Endpoint> all = endpoints(n);
        Endpoint gone = all.get(n / 2);
        Endpoint[] before = owners(table(n));
        Endpoint[] after = owners(table(n).update(without(all, n / 2)));
        int moved = 0;
        for (int slot = 0; slot < before.length; slot++) {
            if (before[slot].equals(gone)) {
                assertThat(after[slot]).as("slot %d of the pod that left", slot).isNotEqualTo(gone);
                moved++;
            } else {
                assertThat(after[slot]).as("slot %d of a pod that stayed", slot).isEqualTo(before[slot]);
            }
        }
        assertThat(moved).isPositive();
    }

    @ParameterizedTest(name = "{0} pods")
    @ValueSource(ints = {10, 100, 1000, 5000})
    void whenAPodJoinsItOnlyTakesSlots(int n) {
        Endpoint added = Endpoint.of("10.1.0.1", 8080);
        Endpoint[] before = owners(table(n));
        Endpoint[] after = owners(table(n).update(with(endpoints(n), added)));
        int taken = 0;
        for (int slot = 0; slot < before.length; slot++) {
            if (!after[slot].equals(before[slot])) {
                assertThat(after[slot]).as("slot %d moved between pods that stayed", slot).isEqualTo(added);
                taken++;
            }
        }
        assertThat(taken).isPositive();
    }

    /**
     * Crossing a size class re-maps keys, but not all: at twice the slots, an even slot is its half
     * of the smaller table, so it keeps its owner unless the joining pod takes it, and only keys in
     * odd slots move. About half the keys move (a fresh table would move all but 1/N).
     */
    @ParameterizedTest(name = "{0} to {1} pods")
    @CsvSource({"256, 257", "384, 385"})
    void joiningAcrossASizeClassMovesOnlyTheKeysOfTheNewOddSlotsAndThoseTheNewPodTakes(int n, int bigger) {
        Endpoint added = Endpoint.of("10.1.0.1", 8080);
        SlotTable small = table(n);
        SlotTable large = small.update(with(endpoints(n), added));
        assertThat(large.slots()).isEqualTo(2 * small.slots());
        assertThat(large).isEqualTo(SlotTable.of(with(endpoints(n), added)));
        Endpoint[] before = owners(small);
        Endpoint[] after = owners(large);
        int moved = 0;
        for (int slot = 0; slot < after.length; slot++) {
            Endpoint previous = before[slot >>> 1];
            if (slot % 2 == 0) {
                assertThat(after[slot]).as("even slot %d", slot).isIn(previous, added);
            }
            if (!after[slot].equals(previous)) {
                moved++;
            }
        }
        assertThat((double) moved / after.length).as("share of keys moved from %d to %d pods", n, bigger)
                .isCloseTo(0.5, within(0.01));
    }

    @Test
    void leavingAcrossASizeClassSendsTheKeysOfEachOddSlotToItsEvenNeighboursOwner() {
        List<Endpoint> all = endpoints(257);
        Endpoint gone = all.get(128);
        Endpoint[] before = owners(table(257));
        Endpoint[] after = owners(table(257).update(without(all, 128)));
        assertThat(after).hasSize(before.length / 2);
        for (int slot = 0; slot < before.length; slot += 2) {
            if (!before[slot].equals(gone)) {
                assertThat(after[slot >>> 1]).as("slots %d and %d", slot, slot + 1).isEqualTo(before[slot]);
            }
        }
    }

    @Test
    void theTableDependsOnTheSetOfPodsOnlyNotOnTheirOrderOrTheUpdatesThatLedToIt() {
        List<Endpoint> all = endpoints(300);
        List<Endpoint> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(20261201));
        SlotTable built = SlotTable.of(all);
        assertThat(SlotTable.of(shuffled)).isEqualTo(built);

        List<Endpoint> start = new ArrayList<>(all.subList(2, 300));
        start.add(Endpoint.of("10.1.0.1", 8080));
        SlotTable firstWay = SlotTable.of(start).update(without(all, 1)).update(shuffled);
        SlotTable otherWay = SlotTable.of(with(all.subList(0, 299), Endpoint.of("10.1.0.2", 8080))).update(shuffled);
        assertThat(firstWay).isEqualTo(built);
        assertThat(otherWay).isEqualTo(built);
    }

    /**
     * Random joins, leaves and replaced fields, each update compared with a full build over the
     * same set. Small steps update in place; large ones, and those across a size class, build.
     */
    @ParameterizedTest(name = "seed {0}, from {1} pods, {2} steps")
    @CsvSource({"1, 1, 12", "2, 40, 12", "3, 250, 12", "4, 380, 8", "5, 600, 4", "6, 1200, 2"})
    void everyUpdateEqualsAFullBuildOverTheNewSet(long seed, int start, int steps) {
        Random random = new Random(seed);
        List<Endpoint> pool = endpoints(start + 40);
        List<Endpoint> current = new ArrayList<>(pool.subList(0, start));
        List<Endpoint> absent = new ArrayList<>(pool.subList(start, pool.size()));
        SlotTable table = SlotTable.of(current);
        for (int step = 0; step < steps; step++) {
            int leaves = random.nextInt(10) == 0 ? random.nextInt(20) : random.nextInt(3);
            int joins = random.nextInt(10) == 0 ? random.nextInt(20) : random.nextInt(3);
            for (int i = 0; i < leaves && current.size() > 1; i++) {
                absent.add(current.remove(random.nextInt(current.size())));
            }
            for (int i = 0; i < joins && !absent.isEmpty(); i++) {
                current.add(absent.remove(random.nextInt(absent.size())));
            }
            int renamed = random.nextInt(current.size());
            current.set(renamed, current.get(renamed).toBuilder().podName("backend-" + step).build());
            Collections.shuffle(current, random);
            table = table.update(current);
            assertThat(table).as("after step %d, %d pods", step, current.size()).isEqualTo(SlotTable.of(current));
        }
    }

    /**
     * Thousands of single joins and leaves, as a rolling restart applies them, each derived from
     * the previous table: every 250 steps the table equals a full build over the same set, and a
     * second table that reached that set through another random history of changes.
     */
    @ParameterizedTest(name = "seed {0}, around {1} pods, {2} steps")
    @CsvSource({"23, 120, 2000", "2023, 300, 500"})
    void thousandsOfJoinsAndLeavesEachDerivedFromTheLastEqualAFullBuild(long seed, int around, int steps) {
        Random random = new Random(seed);
        List<Endpoint> pool = endpoints(around + 60);
        List<Endpoint> current = new ArrayList<>(pool.subList(0, around));
        List<Endpoint> absent = new ArrayList<>(pool.subList(around, pool.size()));
        SlotTable table = SlotTable.of(current);
        for (int step = 1; step <= steps; step++) {
            boolean leave = absent.isEmpty() || current.size() > around - 30 && random.nextBoolean();
            if (leave) {
                absent.add(current.remove(random.nextInt(current.size())));
            } else {
                current.add(absent.remove(random.nextInt(absent.size())));
            }
            table = table.update(current);
            if (step % 250 == 0) {
                assertThat(table).as("after %d steps, %d pods", step, current.size()).isEqualTo(SlotTable.of(current));
                assertThat(otherHistoryTo(current, pool, random)).isEqualTo(table);
            }
        }
    }

    /**
     * From 256 pods down to 30 by single leaves, within one size class: the list of low slots is
     * relisted for the smaller count (else about a third of the slots would be listed), and a join
     * then still equals a full build.
     */
    @Test
    void afterManyLeavesTheLowSlotsAreRelistedAndAJoinStillEqualsAFullBuild() {
        List<Endpoint> pool = endpoints(257);
        List<Endpoint> current = new ArrayList<>(pool.subList(0, 256));
        SlotTable table = SlotTable.of(current);
        Random random = new Random(256);
        while (current.size() > 30) {
            current.remove(random.nextInt(current.size()));
            table = table.update(current);
        }
        assertThat(table.memoryBytes()).isLessThan((2L << 18) + 64 * 1024);
        current.add(pool.get(256));
        assertThat(table.update(current)).isEqualTo(SlotTable.of(current));
    }

    /**
     * Joins and leaves stacked as interim tables over one settled table ({@code lazily} with no
     * ranking allowed, so every leave takes the interim path), each set a fresh copy of its
     * endpoints: every slot picks what a fresh table picks, the very objects of the present set,
     * and settling gives the fresh table. Around 250 pods the size class changes now and then
     * (256 is the first class's last size): then the table settles at once.
     */
    @ParameterizedTest
    @CsvSource({"23, 120, 300", "2023, 250, 200", "777, 180, 400"})
    void interimTablesOverASettledOnePickAsAFreshTableOfThePresentSet(long seed, int around, int steps) {
        Random random = new Random(seed);
        List<Endpoint> pool = endpoints(around + 40);
        List<Endpoint> current = new ArrayList<>(pool.subList(0, around));
        List<Endpoint> absent = new ArrayList<>(pool.subList(around, pool.size()));
        SlotTable table = SlotTable.of(current);
        int interims = 0;
        for (int step = 1; step <= steps; step++) {
            int changes = 1 + random.nextInt(3);
            for (int c = 0; c < changes; c++) {
                boolean leave = absent.isEmpty() || current.size() > around - 20 && random.nextBoolean();
                if (leave) {
                    absent.add(current.remove(random.nextInt(current.size())));
                } else {
                    current.add(absent.remove(random.nextInt(absent.size())));
                }
            }
            List<Endpoint> copies = new ArrayList<>();
            for (Endpoint e : current) {
                copies.add(Endpoint.of(e.address(), e.port()));
            }
            Collections.shuffle(copies, random);
            table = table.lazily(copies, 0);
            interims += table.isInterim() ? 1 : 0;
            if (step % 10 == 0) {
                SlotTable fresh = SlotTable.of(current);
                assertThat(table.slots()).isEqualTo(fresh.slots());
                int shift = Long.numberOfLeadingZeros(table.slots() - 1L) + 1;
                for (long slot = 0; slot < table.slots(); slot++) {
                    Endpoint picked = table.ownerOf(slot << shift);
                    Endpoint expected = fresh.ownerOf(slot << shift);
                    if (!picked.sameIdentity(expected) || picked != copies.get(copies.indexOf(expected))) {
                        assertThat(picked).as("slot %d after %d steps, %d pods", slot, step, current.size())
                                .isSameAs(copies.get(copies.indexOf(expected)));
                    }
                }
            }
            if (step % 50 == 0) {
                table = table.update(copies);
                assertThat(table.isInterim()).isFalse();
                assertThat(table).as("settled after %d steps", step).isEqualTo(SlotTable.of(copies));
            }
        }
        assertThat(interims).as("interim tables made").isGreaterThan(steps / 2);
    }

    /** A table reaching {@code target} by other single joins and leaves, from a random start. */
    private static SlotTable otherHistoryTo(List<Endpoint> target, List<Endpoint> pool, Random random) {
        List<Endpoint> current = new ArrayList<>(pool);
        Collections.shuffle(current, random);
        current = new ArrayList<>(current.subList(0, target.size()));
        SlotTable table = SlotTable.of(current);
        List<Endpoint> toLeave = new ArrayList<>(current);
        toLeave.removeAll(target);
        List<Endpoint> toJoin = new ArrayList<>(target);
        toJoin.removeAll(current);
        while (!toLeave.isEmpty() || !toJoin.isEmpty()) {
            if (!toJoin.isEmpty() && (toLeave.isEmpty() || random.nextBoolean())) {
                current.add(toJoin.remove(toJoin.size() - 1));
            } else {
                current.remove(toLeave.remove(toLeave.size() - 1));
            }
            Collections.shuffle(current, random);
            table = table.update(current);
        }
        return table;
    }

    @Test
    void anUpdateWithTheSameIdentitiesKeepsTheSlotsAndServesTheNewEndpoints() {
        List<Endpoint> all = endpoints(10);
        SlotTable table = table(10);
        assertThat(table.update(new ArrayList<>(all))).isSameAs(table);

        List<Endpoint> zoned = new ArrayList<>();
        for (Endpoint e : all) {
            zoned.add(e.toBuilder().zone("eu-west-1a").build());
        }
        SlotTable updated = table.update(zoned);
        Endpoint[] before = owners(table);
        Endpoint[] after = owners(updated);
        for (int slot = 0; slot < before.length; slot++) {
            assertThat(after[slot].sameIdentity(before[slot])).isTrue();
            assertThat(after[slot].zone()).contains("eu-west-1a");
        }
    }

    /** Beyond 65,536 endpoints an owner no longer fits a char; the one case of more, built once. */
    @Test
    void beyond65536PodsUpdatesStillTouchOnlyTheChangedPodsSlots() {
        List<Endpoint> all = new ArrayList<>();
        for (int i = 1; i <= 65_538; i++) {
            all.add(Endpoint.of("10." + (i >> 16) + "." + (i >> 8 & 0xFF) + "." + (i & 0xFF), 8080));
        }
        SlotTable built = SlotTable.of(all);
        Endpoint gone = all.get(30_000);
        SlotTable fewer = built.update(without(all, 30_000));
        Endpoint[] before = owners(built);
        Endpoint[] after = owners(fewer);
        for (int slot = 0; slot < before.length; slot++) {
            if (before[slot].equals(gone)) {
                assertThat(after[slot]).as("slot %d of the pod that left", slot).isNotEqualTo(gone);
            } else {
                assertThat(after[slot]).as("slot %d of a pod that stayed", slot).isEqualTo(before[slot]);
            }
        }
        assertThat(fewer.update(all)).isEqualTo(built);
        assertThat(built.memoryBytes()).isGreaterThan(4L << 22);
    }

    /**
     * With a handful of pods nearly every owner ranks low; the table then lists no low slots
     * (a join builds it anew) rather than up to one int per slot, four times the owners' bytes.
     */
    @ParameterizedTest(name = "{0} pods")
    @ValueSource(ints = {1, 2, 3, 4, 10})
    void withAHandfulOfPodsATableHoldsLittleMoreThanItsOwners(int n) {
        SlotTable table = table(n);
        assertThat(table.memoryBytes()).isLessThanOrEqualTo((2L << 18) + (4L << 18) / 16 + 4L * n + 48);
        List<Endpoint> more = endpoints(n + 1);
        assertThat(table.update(more)).isEqualTo(SlotTable.of(more));
    }

    /**
     * A batch of leaves is derived from the table while it makes fewer rankings than a build (each
     * leave about as many as the table has slots, a build about 2 + ln N times that), rather than
     * built anew past half of that; the result equals a full build.
     */
    @Test
    void aBatchOfLeavesIsDerivedInPlaceWhileItRanksLessThanABuildAndEqualsAFullBuild() {
        assertThat(SlotTable.cheaperThanBuilding(1000, 8, 0)).as("8 of 1,000 leave").isTrue();
        assertThat(SlotTable.cheaperThanBuilding(1000, 9, 0)).as("9 of 1,000 leave").isFalse();
        assertThat(SlotTable.cheaperThanBuilding(5000, 10, 0)).as("10 of 5,000 leave").isTrue();
        assertThat(SlotTable.cheaperThanBuilding(5000, 8, 8)).as("8 of 5,000 replaced").isTrue();
        List<Endpoint> all = endpoints(1000);
        List<Endpoint> fewer = new ArrayList<>(all);
        Random random = new Random(8);
        for (int i = 0; i < 8; i++) {
            fewer.remove(random.nextInt(fewer.size()));
        }
        assertThat(SlotTable.of(all).update(fewer)).isEqualTo(SlotTable.of(fewer));
    }

    /**
     * Two bytes per slot for its owner; the slots a join must check beyond its own top-ranked ones
     * (those whose owner ranks low) are listed, a few hundred, rather than marked in every slot; each
     * endpoint takes a reference and its identity hash.
     */
    @Test
    void aTableHoldsTwoBytesPerSlotForItsOwnerAndListsTheFewSlotsWhoseOwnerRanksLow() {
        assertThat(table(100).memoryBytes()).isBetween(2L << 18, (2L << 18) + 12 * 100 + 16 * 1024);
        assertThat(table(1000).memoryBytes()).isBetween(2L << 21, (2L << 21) + 12 * 1000 + 16 * 1024);
        assertThat(table(5000).memoryBytes()).isBetween(2L << 22, (2L << 22) + 12 * 5000 + 16 * 1024);
    }

    /**
     * G1 gives an object larger than half a heap region regions of its own, rounded up to whole
     * ones (a 2^22-char array took 12 MiB of a heap with 4 MiB regions): at the sizes of services,
     * no array of a table may be that large for the smallest region, 1 MiB (the endpoints' own arrays
     * would be, past 65,536 endpoints).
     */
    @ParameterizedTest(name = "{0} pods")
    @ValueSource(ints = {10, 300, 1000, 5000})
    void noArrayOfATableIsLargerThanHalfTheSmallestG1Region(int n) {
        assertThat(table(n).largestArrayBytes()).isLessThanOrEqualTo(512L * 1024);
    }

    @Test
    void refusesNoEndpointAndAnAddressGivenTwice() {
        assertThatThrownBy(() -> SlotTable.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a slot table needs at least one endpoint; none was given");
        List<Endpoint> twice = with(endpoints(3), Endpoint.builder("10.0.0.2", 8080).podName("other").build());
        assertThatThrownBy(() -> SlotTable.of(twice))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoint 10.0.0.2:8080 is given twice; expected each address and port once");
        assertThatThrownBy(() -> table(3).update(twice))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.2:8080 is given twice");
        assertThatThrownBy(() -> table(3).lazily(without(twice, 0), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.2:8080 is given twice");
        List<Endpoint> newTwice = with(with(endpoints(3), Endpoint.of("10.0.0.9", 8080)), Endpoint.of("10.0.0.9", 8080));
        assertThatThrownBy(() -> table(3).update(newTwice))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.9:8080 is given twice");
        assertThatThrownBy(() -> table(3).update(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a slot table needs at least one endpoint; none was given");
    }
}
