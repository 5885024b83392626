package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.util.Arrays;
import java.util.List;

/**
 * A table of 2^18 slots, each owned by one endpoint, filled by rendezvous hashing: a slot belongs
 * to the endpoint that ranks it highest. A sticky key hashes to a slot; its owner is the pick.
 *
 * <p>Why this shape (asserted in {@code StickyPickerTest}):
 * <ul>
 * <li>A slot's owner depends only on which endpoints exist, never on the order of updates, so
 *     every client replica builds the same table.</li>
 * <li>Removing an endpoint hands each of its slots to that slot's next-ranked endpoint and touches
 *     no other slot; adding one takes only the slots it now ranks first. So only the keys of the
 *     pod that left move, and a new pod takes keys from every other pod evenly. Maglev's table,
 *     by contrast, reshuffles slots between survivors; jump hash over a list index moves far more.</li>
 * <li>Each endpoint owns a binomial share of 2^18 slots: over a million keys the busiest endpoint
 *     holds 0.5% more than the mean at 10 endpoints, 4.4% at 100, 16.5% at 1000. A pick is one
 *     hash and one array read.</li>
 * </ul>
 *
 * <p>Building it naively ranks every endpoint for every slot, 2^18 × N hashes. Instead each
 * endpoint's ranking is a keyed permutation of the slots (a Feistel network), which can be run
 * backwards: each endpoint lists only its top slots, enough that nearly every slot hears from
 * someone, and only the rare slot nobody listed ranks every endpoint. That is about
 * 2^18 × (1 + ln N) permutation steps whatever N is.
 */
final class SlotTable {
    static final int BITS = 18;
    private static final int SIZE = 1 << BITS;
    private static final int HALF_BITS = BITS / 2;
    private static final int HALF_MASK = (1 << HALF_BITS) - 1;
    private static final int ROUNDS = 4;

    /** Endpoint indexes by slot: chars for up to 65,536 endpoints, ints beyond. */
    private final char[] smallOwners;
    private final int[] largeOwners;

    private SlotTable(char[] smallOwners, int[] largeOwners) {
        this.smallOwners = smallOwners;
        this.largeOwners = largeOwners;
    }

    /** The index, in {@code endpoints}, of the owner of the slot this key hash falls in. */
    int ownerOf(long keyHash) {
        int slot = (int) (keyHash >>> (64 - BITS));
        return smallOwners != null ? smallOwners[slot] : largeOwners[slot];
    }

    static SlotTable build(List<Endpoint> endpoints) {
        int n = endpoints.size();
        int[] owner = new int[SIZE];
        if (n > 1) {
            fill(endpoints, owner);
        }
        if (n <= 1 << 16) {
            char[] small = new char[SIZE];
            for (int i = 0; i < SIZE; i++) {
                small[i] = (char) owner[i];
            }
            return new SlotTable(small, null);
        }
        return new SlotTable(null, owner);
    }

    private static void fill(List<Endpoint> endpoints, int[] owner) {
        int n = endpoints.size();
        long[] tieBreak = new long[n];
        for (int e = 0; e < n; e++) {
            tieBreak[e] = endpoints.get(e).identityHash();
        }
        int[] best = new int[SIZE];
        Arrays.fill(best, -1);
        // With each endpoint listing its top t slots, a slot hears from nobody with probability
        // about e^(-n t / SIZE); t = SIZE ln(n) / n leaves about SIZE / n slots to rank in full.
        int top = (int) Math.min(SIZE, Math.ceil(SIZE * Math.log(n) / n) + 1);
        for (int e = 0; e < n; e++) {
            Ranking ranking = new Ranking(tieBreak[e], top);
            for (int rank = SIZE - 1; rank >= SIZE - top; rank--) {
                int slot = ranking.slotAt(rank);
                if (beats(rank, tieBreak[e], best[slot], owner[slot], tieBreak)) {
                    best[slot] = rank;
                    owner[slot] = e;
                }
            }
        }
        // A slot nobody listed: every endpoint ranks it below SIZE - top, so rank them all, one
        // endpoint at a time so that its round tables stay in cache.
        int[] unlisted = new int[SIZE];
        int count = 0;
        for (int slot = 0; slot < SIZE; slot++) {
            if (best[slot] < 0) {
                unlisted[count++] = slot;
            }
        }
        for (int e = 0; e < n && count > 0; e++) {
            Ranking ranking = new Ranking(tieBreak[e], count);
            for (int i = 0; i < count; i++) {
                int slot = unlisted[i];
                int rank = ranking.rankOf(slot);
                if (beats(rank, tieBreak[e], best[slot], owner[slot], tieBreak)) {
                    best[slot] = rank;
                    owner[slot] = e;
                }
            }
        }
    }

    /** Ranks compare first; equal ranks go to the greater identity hash, so order never matters. */
    private static boolean beats(int rank, long tie, int bestRank, int bestOwner, long[] tieBreak) {
        return rank > bestRank || (rank == bestRank && tie > tieBreak[bestOwner]);
    }

    /**
     * One endpoint's ranking of the slots: a 4-round Feistel network keyed by its identity hash,
     * so a keyed permutation of 0..2^18-1 that runs both ways. When the endpoint will rank many
     * slots, its round functions (9 bits to 9 bits) are tabulated first; the results are the same.
     */
    static final class Ranking {
        private static final int TABULATE_ABOVE = 2 * ROUNDS * (1 << HALF_BITS);

        private final long[] keys = new long[ROUNDS];
        private final short[] tables;

        Ranking(long identityHash, int expectedUses) {
            long state = identityHash;
            for (int i = 0; i < ROUNDS; i++) {
                state += 0x9E3779B97F4A7C15L;
                keys[i] = Hashing.mix64(state);
            }
            if (expectedUses * ROUNDS > TABULATE_ABOVE) {
                tables = new short[ROUNDS << HALF_BITS];
                for (int i = 0; i < ROUNDS; i++) {
                    for (int half = 0; half <= HALF_MASK; half++) {
                        tables[(i << HALF_BITS) | half] = (short) round(half, keys[i]);
                    }
                }
            } else {
                tables = null;
            }
        }

        private int f(int i, int half) {
            return tables != null ? tables[(i << HALF_BITS) | half] : round(half, keys[i]);
        }

        /** Where this endpoint ranks {@code slot}. */
        int rankOf(int slot) {
            int left = slot >>> HALF_BITS;
            int right = slot & HALF_MASK;
            for (int i = 0; i < ROUNDS; i++) {
                int next = left ^ f(i, right);
                left = right;
                right = next;
            }
            return (left << HALF_BITS) | right;
        }

        /** The slot this endpoint ranks at {@code rank}: {@link #rankOf} run backwards. */
        int slotAt(int rank) {
            int left = rank >>> HALF_BITS;
            int right = rank & HALF_MASK;
            for (int i = ROUNDS - 1; i >= 0; i--) {
                int previous = right ^ f(i, left);
                right = left;
                left = previous;
            }
            return (left << HALF_BITS) | right;
        }
    }

    private static int round(int half, long key) {
        return (int) (Hashing.mix64(half ^ key) >>> (64 - HALF_BITS));
    }
}
