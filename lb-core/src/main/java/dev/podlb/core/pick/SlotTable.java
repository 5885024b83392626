package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * A table of slots, each owned by one endpoint, filled by rendezvous hashing: a slot belongs to
 * the endpoint that ranks it highest. A sticky key hashes to a slot; its owner is the pick. An
 * immutable value: {@link #update} returns a new table and leaves this one valid for the pickers
 * still reading it. Any thread may read a table; {@link #of} and {@link #update} run on the thread
 * that builds pickers and take no lock.
 *
 * <p>Why this shape (asserted in {@code SlotTableTest} and {@code StickyPickerTest}):
 * <ul>
 * <li>The table is a function of the set of endpoint identities (address and port) only, never
 *     of their order or of the updates that led to it, so every client replica builds the same.</li>
 * <li>Removing an endpoint hands each of its slots to that slot's next-ranked endpoint and touches
 *     no other slot; adding one takes only the slots it now ranks first. So only the keys of the
 *     pod that left move, and a new pod takes keys from every other pod evenly.</li>
 * <li>Each endpoint owns a binomial share of the slots, so the table grows with the endpoint
 *     count: 2^18 slots up to 256 endpoints (at least 1,024 each, the mapping every release has
 *     used), then one bit more per size class, each holding at least 1,365 slots per endpoint
 *     (2^19 up to 384, 2^20 up to 768, 2^21 up to 1,536), and 2^22 beyond.</li>
 * <li>Slots nest across classes: at 2^b slots, an even slot s is slot s/2 of the 2^(b-1) table,
 *     and only odd slots are new. Crossing one class keeps the owner of every even slot (but for
 *     those a joining endpoint takes), so about half the keys stay where a fresh table would
 *     keep 1/N of them.</li>
 * </ul>
 *
 * <p>Slots are ranked in blocks, each its own rendezvous: block 0 holds the 2^18 slots of the
 * smallest table, ranked as every release has; the new slots of each larger class come in blocks
 * of 2^16. Each endpoint's ranking of a block is a keyed permutation (a Feistel network), which can
 * be run backwards: each endpoint lists only its top-ranked slots, enough that nearly every slot
 * hears from someone, and only the rare slot nobody listed ranks every endpoint. That is about
 * 2^b × (2 + ln N) permutation steps rather than 2^b × N, and a block's best ranks so far fit in
 * cache while it is built. The table lists the few slots whose owner ranks low (below the depth a
 * joining endpoint lists to), so a joining endpoint checks only its own top slots and those; a
 * leaving endpoint's slots rank the endpoints that remain, and no other slot is touched. A table
 * holds two bytes per slot (four beyond 65,536 endpoints), in chunks G1 need not place whole
 * regions for ({@link SlotOwners}), that short list, and a settled table its endpoints' identity
 * hashes (eight bytes each).
 *
 * <p>A leave at thousands of endpoints ranks about as many times as the table has slots, tens of
 * milliseconds; {@link #lazily} puts it off: an interim table shares a settled table's slots,
 * holds {@code null} for the endpoints that left, and ranks the present endpoints for a slot
 * whose owner left when a key falls there, so it picks exactly as the updated table until
 * {@link #update} settles it.
 */
final class SlotTable {
    private static final int BASE_BITS = 18;
    private static final int BLOCK_BITS = 16;
    private static final int MAX_BITS = 22;
    /** The most endpoints a table of 2^(18 + i) slots serves; more get 2^22 slots. */
    private static final int[] MOST_ENDPOINTS = {256, 384, 768, 1536};
    /** Owners are chars while every endpoint index fits one. */
    private static final int CHAR_OWNERS = 1 << 16;

    private final int bits;
    /** In identity order ({@link #compareIdentity}): a slot's owner is an index here. */
    private final Endpoint[] endpoints;
    /** Endpoint indexes by slot. */
    private final SlotOwners owners;
    /**
     * How far below its block's top an owner must rank for its slot to be listed in
     * {@link #lowSlots}: in block 0, and in the other blocks. Powers of two.
     */
    private final int baseLowDepth;
    private final int lowDepth;
    /**
     * Every slot whose owner ranks at least the low depth below its block's top, in ascending
     * order: a joining endpoint that lists its own top slots to that depth can outrank an owner
     * elsewhere only in these. A few hundred slots at most sizes, where a mark in every slot would
     * take a byte each; {@code null} when they would be more than a sixteenth of the slots (a
     * handful of endpoints, where nearly every owner ranks low): a join then builds the table
     * anew, which at that size takes milliseconds.
     */
    private final int[] lowSlots;
    /**
     * An interim table's settled table, whose endpoints include every present one and some that
     * left ({@code null} entries of {@link #endpoints}); {@code null} when this table is settled.
     */
    private final SlotTable base;
    /** An interim table's present endpoints in identity order, and their round keys, four each. */
    private final Endpoint[] present;
    private final long[] presentKeys;
    /** An interim table's endpoints that joined since its settled table, and the slots they took; else {@code null}. */
    private final Joined joined;
    /** How many of an interim table's settled table's endpoints left; 0 when settled. */
    private final int departed;
    /**
     * A settled table's endpoints' identity hashes, in their order (ascending), so that the next
     * set's endpoints are found among them by a binary search ({@link #changesTo}); {@code null}
     * for an interim table.
     */
    private final long[] hashes;

    private SlotTable(int bits, Endpoint[] endpoints, SlotOwners owners, int baseLowDepth, int lowDepth,
            int[] lowSlots) {
        this(bits, endpoints, owners, baseLowDepth, lowDepth, lowSlots, null, null, null, null, 0);
    }

    private SlotTable(int bits, Endpoint[] endpoints, SlotOwners owners, int baseLowDepth,
            int lowDepth, int[] lowSlots, SlotTable base, Endpoint[] present, long[] presentKeys, Joined joined,
            int departed) {
        this.bits = bits;
        this.endpoints = endpoints;
        this.owners = owners;
        this.baseLowDepth = baseLowDepth;
        this.lowDepth = lowDepth;
        this.lowSlots = lowSlots;
        this.base = base;
        this.present = present;
        this.presentKeys = presentKeys;
        this.joined = joined;
        this.departed = departed;
        if (base == null) {
            hashes = new long[endpoints.length];
            for (int i = 0; i < hashes.length; i++) {
                hashes[i] = endpoints[i].identityHash();
            }
        } else {
            hashes = null;
        }
    }

    /** A table over {@code endpoints}, given in any order; two of them may not share an address and port. */
    static SlotTable of(List<Endpoint> endpoints) {
        return build(inIdentityOrder(endpoints));
    }

    /**
     * The table {@link #of} would build over {@code endpoints}. When only a few identities came or
     * went, it is derived from this one, touching only their slots; endpoints whose identity stays
     * but whose other fields changed replace their former selves.
     */
    SlotTable update(List<Endpoint> endpoints) {
        if (base != null) {
            return base.update(endpoints);
        }
        return update(changesTo(endpoints));
    }

    /** {@link #update} of this settled table, with the changes to the next set already found. */
    private SlotTable update(Changes changes) {
        Endpoint[] next = changes.next;
        if (changes.removed == 0 && changes.added == 0) {
            return changes.replaced()
                    ? new SlotTable(bits, next, owners, baseLowDepth, lowDepth, lowSlots)
                    : this;
        }
        if (bitsFor(next.length) != bits || (next.length > CHAR_OWNERS) == owners.small()
                || !changes.cheaperThanBuilding() || changes.added > 0 && lowSlots == null) {
            return build(next);
        }
        Draft draft = copyFor(next, changes.newIndexOf);
        draft.rankEverywhere(draft.orphans);
        if (draft.lowDepthTooSmall()) {
            draft.relist();
        }
        if (changes.added > 0) {
            draft.join(changes.joining);
        }
        return draft.table();
    }

    /**
     * The table {@link #of} would build over {@code endpoints} in every pick, made at once: when
     * the endpoints that left own so many slots that handing them on would take more than
     * {@code maxRankings} rankings, an interim table ({@link #isInterim()}) over a settled table
     * that still holds them, made in O(N), whose picks rank the present endpoints for a slot whose
     * owner left; else {@link #update}. Endpoints that joined since the settled table are kept
     * beside it ({@link Joined}): the few slots each takes, found as a join into the settled table
     * finds them, without copying its slots (a copy of 2^21 owners took about as long as the
     * join's rankings). On an interim table, further changes stack on the same settled table;
     * {@link #update} settles.
     *
     * <p>Why an interim table picks as a fresh one would: a slot's owner in the settled table
     * ranks it highest of a superset of the present endpoints that were in it; a joined endpoint
     * that outranks that owner there outranks all of them, so the best such joined endpoint is the
     * slot's owner; else, when the settled owner is present it ranks highest of them too, and when
     * it left, ranking the present endpoints for that slot is what a fresh table does. The settled
     * table's size class must be the present set's (the slots of another class rank otherwise), so
     * across a class this is {@link #update}.
     */
    SlotTable lazily(List<Endpoint> endpoints, long maxRankings) {
        SlotTable settled = base != null ? base : this;
        Changes changes = settled.changesTo(endpoints);
        Endpoint[] next = changes.next;
        if (changes.removed == 0 || bitsFor(next.length) != settled.bits
                || base == null && settled.rankingsToLeave(changes.removed) <= maxRankings) {
            return settled.update(changes);
        }
        Joined joinedNow = null;
        if (changes.added > 0) {
            if (settled.lowSlots == null) {
                // A handful of endpoints, whose owners rank too low to list: settling costs little.
                return settled.update(changes);
            }
            joinedNow = Joined.of(settled, next, changes.joining, joined);
        }
        Endpoint[] view = new Endpoint[settled.endpoints.length];
        for (int i = 0; i < view.length; i++) {
            view[i] = changes.newIndexOf[i] >= 0 ? next[changes.newIndexOf[i]] : null;
        }
        long[] keys = new long[4 * next.length];
        for (int e = 0; e < next.length; e++) {
            Ranking.keysOf(next[e].identityHash(), keys, 4 * e);
        }
        return new SlotTable(bits, view, settled.owners, settled.baseLowDepth,
                settled.lowDepth, settled.lowSlots, settled, next, keys, joinedNow, changes.removed);
    }

    /**
     * The settled table this one stands on: its base if it is interim, else itself. Immutable, as
     * every table, so another thread may update it.
     */
    SlotTable settled() {
        return base != null ? base : this;
    }

    /** How many endpoints left since this interim table's settled table, whose slots a pick ranks; 0 for a settled table. */
    int departed() {
        return departed;
    }

    /** How many endpoints this table picks from. */
    int size() {
        return present != null ? present.length : endpoints.length;
    }

    /** Whether this is an interim table of {@link #lazily}, which {@link #update} settles. */
    boolean isInterim() {
        return base != null;
    }

    /**
     * About how many rankings an update makes for {@code removed} of this table's endpoints
     * leaving: their slots, a {@code removed / N} share, each rank the {@code N - removed} left.
     */
    long rankingsToLeave(int removed) {
        int n = endpoints.length;
        return (long) ((double) slots() * removed / n * (n - removed));
    }

    /**
     * The endpoint owning the slot that this key hash falls in. Allocates nothing. On an interim
     * table, a slot whose owner left ranks the present endpoints (N rankings).
     */
    Endpoint ownerOf(long keyHash) {
        int slot = (int) (keyHash >>> (64 - bits));
        Endpoint owner = endpoints[owner(slot)];
        if (joined != null) {
            Endpoint joiner = joined.ownerOf(slot);
            if (joiner != null) {
                return joiner;
            }
        }
        return owner != null ? owner : topRankedPresent(slot);
    }

    /** An interim table's slot whose owner left: the present endpoint that ranks it highest. */
    private Endpoint topRankedPresent(int slot) {
        int block = blockOf(bits, slot);
        int halfBits = halfBitsOf(block);
        int offset = offsetOf(bits, slot);
        long best = topRanked(presentKeys, present.length, offset >>> halfBits, offset & (1 << halfBits) - 1,
                halfBits, tweakOf(block));
        return present[(int) best];
    }

    int slots() {
        return 1 << bits;
    }

    private int owner(int slot) {
        return owners.get(slot);
    }

    /** The bytes of the arrays this table holds (not of the endpoints), with 4-byte references. */
    long memoryBytes() {
        long hashBytes = hashes != null ? 16 + 8L * hashes.length : 0;
        return 2 * 16L + owners.bytes() + 4L * endpoints.length + 4L * lowSlotCount() + hashBytes;
    }

    /**
     * The largest array this table holds, in bytes: G1 gives one above half a region whole regions of
     * its own. The owners' chunks are 128 KiB whatever the size; the endpoints and their hashes grow
     * with the endpoint count, beyond 512 KiB only past 65,536 endpoints.
     */
    long largestArrayBytes() {
        long hashBytes = hashes != null ? 8L * hashes.length : 0;
        return Math.max(owners.largestArrayBytes(), 16 + Math.max(hashBytes, 4L * Math.max(endpoints.length, lowSlotCount())));
    }

    private int lowSlotCount() {
        return lowSlots != null ? lowSlots.length : 0;
    }

    /**
     * Equal tables have equal endpoints (all their fields) and equal slots. The list of low slots
     * is not compared: it helps joins, its depth depends on the sizes a table went through, and
     * it follows from the slots for any one depth.
     */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SlotTable)) {
            return false;
        }
        SlotTable that = (SlotTable) o;
        return bits == that.bits && Arrays.equals(endpoints, that.endpoints)
                && owners.equals(that.owners);
    }

    @Override
    public int hashCode() {
        return 31 * bits + Arrays.hashCode(endpoints);
    }

    @Override
    public String toString() {
        return "slot table of " + slots() + " slots over " + endpoints.length + " endpoints";
    }

    /**
     * Whether updating a table over {@code before} endpoints for {@code removed} leaving and
     * {@code added} joining makes fewer rankings than a build over the new set: a build makes
     * about 2^b (2 + ln N) rankings; each removed endpoint's slots (a 1/N share) rank all N
     * endpoints, so each leave makes about 2^b, and each added endpoint ranks about
     * 2^b (1 + ln N) / N slots. The copy and scans of an update are within what a build's
     * rankings cost beyond a leave's (measured at 1,000 and 5,000 endpoints on 2026-12-07, one
     * leave cost 1/10 and 1/13 of a build, CPU time, where this counts 1/8.9 and 1/10.5).
     */
    static boolean cheaperThanBuilding(int before, int removed, int added) {
        int n = before - removed + added;
        double perSlot = (double) removed * n / before + added * (1 + Math.log(n)) / n;
        return perSlot < 2 + Math.log(n);
    }

    private static void refuseNone(List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a slot table needs at least one endpoint; none was given");
        }
    }

    /** The table size for {@code n} endpoints, as a power of two. */
    private static int bitsFor(int n) {
        for (int i = 0; i < MOST_ENDPOINTS.length; i++) {
            if (n <= MOST_ENDPOINTS[i]) {
                return BASE_BITS + i;
            }
        }
        return MAX_BITS;
    }

    private static Endpoint[] inIdentityOrder(List<Endpoint> endpoints) {
        refuseNone(endpoints);
        Endpoint[] sorted = endpoints.toArray(new Endpoint[0]);
        Arrays.sort(sorted, SlotTable::compareIdentity);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i].sameIdentity(sorted[i - 1])) {
                throw new IllegalArgumentException("endpoint " + sorted[i].authority()
                        + " is given twice; expected each address and port once");
            }
        }
        return sorted;
    }

    /**
     * By identity hash, so that a rank tie goes to the greater hash, as every release has done.
     * Distinct identities with one hash (a 2^-64 chance per pair) are ordered by address and port,
     * so that the order stays a function of the set. An endpoint is its own identity, found
     * without a look at its address (a chain of objects to read).
     */
    private static int compareIdentity(Endpoint a, Endpoint b) {
        if (a == b) {
            return 0;
        }
        int byHash = Long.compare(a.identityHash(), b.identityHash());
        if (byHash != 0 || a.sameIdentity(b)) {
            return byHash;
        }
        int byAddress = Arrays.compareUnsigned(a.address().getAddress(), b.address().getAddress());
        return byAddress != 0 ? byAddress : Integer.compare(a.port(), b.port());
    }

    // Blocks. At 2^bits slots, a slot drops its trailing zero bits, at most bits - 18 of them; the
    // bits left are its level, and a level above 18 ends in a one, which it drops too. Level 18 is
    // block 0, its 2^18 slots; each level above has 2^(level - 1) slots, cut into blocks of 2^16
    // numbered on from 1, so that a block's number and its slots' offsets in it never depend on
    // the table size.

    private static int blockCount(int bits) {
        return (1 << (bits - BLOCK_BITS)) - 3;
    }

    private static int blockSize(int block) {
        return block == 0 ? 1 << BASE_BITS : 1 << BLOCK_BITS;
    }

    /** The first block of a level above 18 is 2^(level - 17) - 3. */
    private static int levelOfBlock(int block) {
        return 17 + 31 - Integer.numberOfLeadingZeros(block + 3);
    }

    private static int levelOf(int bits, int slot) {
        return bits - Integer.numberOfTrailingZeros(slot | 1 << (bits - BASE_BITS));
    }

    private static int blockOf(int bits, int slot) {
        int level = levelOf(bits, slot);
        return level == BASE_BITS ? 0 : (1 << (level - 17)) - 3 + (slot >>> (bits - level + 1 + BLOCK_BITS));
    }

    private static int offsetOf(int bits, int slot) {
        int level = levelOf(bits, slot);
        return level == BASE_BITS ? slot >>> (bits - BASE_BITS)
                : slot >>> (bits - level + 1) & (1 << BLOCK_BITS) - 1;
    }

    private static int slotOf(int bits, int block, int offset) {
        if (block == 0) {
            return offset << (bits - BASE_BITS);
        }
        int level = levelOfBlock(block);
        int index = (block + 3 - (1 << (level - 17))) << BLOCK_BITS | offset;
        return (index << 1 | 1) << (bits - level);
    }

    /**
     * How many top slots of a block each of {@code n} endpoints lists: a slot then hears from
     * nobody with probability about e^(-n depth / size) = 1/n.
     */
    private static int listingDepth(int size, int n) {
        return (int) Math.min(size, Math.ceil(size * Math.log(n) / n) + 1);
    }

    /** Each block's rankings are keyed by its number too, so that blocks rank independently. */
    private static long tweakOf(int block) {
        return (long) block << 16;
    }

    /** Half of the bits of a block's offsets, the width of a Feistel half. */
    private static int halfBitsOf(int block) {
        return (block == 0 ? BASE_BITS : BLOCK_BITS) / 2;
    }

    /**
     * Where endpoint {@code e}, whose four round keys stand at {@code 4 * e} in {@code keys}, ranks
     * {@code offset} of {@code block}.
     */
    private static int rankAt(long[] keys, int e, int block, int offset) {
        long tweak = tweakOf(block);
        int k = 4 * e;
        return feistel(keys[k] ^ tweak, keys[k + 1] ^ tweak, keys[k + 2] ^ tweak, keys[k + 3] ^ tweak, halfBitsOf(block),
                offset);
    }

    /**
     * The 4-round Feistel network of {@link BlockRanking} with its block's round keys, computed
     * without a table: where the endpoint with these keys ranks {@code offset}.
     */
    private static int feistel(long k0, long k1, long k2, long k3, int halfBits, int offset) {
        int shift = 64 - halfBits;
        int left = offset >>> halfBits;
        int right = offset & (1 << halfBits) - 1;
        left ^= (int) (Hashing.mix64(right ^ k0) >>> shift);
        right ^= (int) (Hashing.mix64(left ^ k1) >>> shift);
        left ^= (int) (Hashing.mix64(right ^ k2) >>> shift);
        right ^= (int) (Hashing.mix64(left ^ k3) >>> shift);
        return left << halfBits | right;
    }

    /**
     * How deep, at least, a joining endpoint lists its top slots of a block, and so how low an
     * owner must rank for its slot to be a low slot: a build's listing depth rounded up to a
     * power of two, so that between 1/N^2 and 1/N of the slots are low.
     */
    private static int joinDepth(int size, int n) {
        return Math.min(size, Integer.highestOneBit(listingDepth(size, n)) << 1);
    }

    /**
     * Of the {@code n} endpoints whose round keys are {@code keys}, four each, the one that ranks
     * the offset with halves {@code left0} and {@code right0} highest in its block: (rank, index)
     * packed so that one comparison orders both, a tie going to the greater index. This is
     * {@link #feistel} unrolled: its third round fixes the high half of a rank, so an endpoint
     * whose high half is below the best so far skips the fourth. The round keys sit in one array
     * that stays in cache, one endpoint's ranking does not wait on another's, and nothing is
     * allocated.
     */
    private static long topRanked(long[] keys, int n, int left0, int right0, int halfBits, long tweak) {
        int shift = 64 - halfBits;
        long best = -1;
        int bestHigh = -1;
        for (int e = 0, k = 0; e < n; e++, k += 4) {
            int left = left0 ^ (int) (Hashing.mix64(right0 ^ keys[k] ^ tweak) >>> shift);
            int right = right0 ^ (int) (Hashing.mix64(left ^ keys[k + 1] ^ tweak) >>> shift);
            left ^= (int) (Hashing.mix64(right ^ keys[k + 2] ^ tweak) >>> shift);
            if (left < bestHigh) {
                continue; // its rank is below the best's, whatever the fourth round gives
            }
            right ^= (int) (Hashing.mix64(left ^ keys[k + 3] ^ tweak) >>> shift);
            best = Math.max(best, (long) (left << halfBits | right) << 32 | e);
            bestHigh = (int) (best >>> 32) >>> halfBits;
        }
        return best;
    }

    private static SlotTable build(Endpoint[] endpoints) {
        int n = endpoints.length;
        int bits = bitsFor(n);
        Draft draft = new Draft(bits, endpoints, n <= CHAR_OWNERS, joinDepth(blockSize(0), n), joinDepth(blockSize(1), n));
        Slots unlisted = new Slots();
        // A block's best (rank, endpoint index) so far, packed so that one comparison orders both.
        long[] best = new long[1 << BASE_BITS];
        int[] top = new int[listingDepth(blockSize(0), n)];
        Ranking[] rankings = draft.rankings();
        for (int block = 0; block < blockCount(bits); block++) {
            int size = blockSize(block);
            int depth = listingDepth(size, n);
            Arrays.fill(best, 0, size, -1);
            for (int e = 0; e < n; e++) {
                rankings[e].listing(block, depth).topOffsets(depth, top);
                for (int i = 0; i < depth; i++) {
                    int rank = size - 1 - i;
                    best[top[i]] = Math.max(best[top[i]], (long) rank << 32 | e);
                }
            }
            for (int offset = 0; offset < size; offset++) {
                int slot = slotOf(bits, block, offset);
                if (best[offset] < 0) {
                    unlisted.add(slot);
                } else {
                    draft.own(slot, (int) best[offset], size - 1 - (int) (best[offset] >>> 32));
                }
            }
        }
        // A slot nobody listed: every endpoint ranks it below its block's listing depth.
        draft.rankEverywhere(unlisted);
        return draft.table();
    }

    /**
     * A copy of this table for {@code next}, owners renumbered; the slots of endpoints that left
     * are the draft's orphans, still to be ranked.
     */
    private Draft copyFor(Endpoint[] next, int[] newIndexOf) {
        Draft draft = new Draft(bits, next, owners.small(), baseLowDepth, lowDepth);
        // Kept while their owner stays; table() drops those a joining endpoint took.
        if (lowSlots != null) {
            draft.low.addAll(lowSlots);
        } else {
            draft.lowKnown = false;
        }
        draft.owners.renumber(owners, newIndexOf, draft.orphans::add);
        return draft;
    }

    /**
     * {@code endpoints} in identity order and how they differ from this settled table's, as {@link
     * Changes#between} finds them; but each endpoint is looked up among this table's by a binary
     * search of its identity hash, and only those that joined are sorted: a sort of them all by
     * comparator, which every set applied made, took 0.55 ms of a core at 5,000 endpoints. An
     * endpoint that is the very object this table holds (discovery keeps the objects of a slice
     * that did not change) is its identity without a look at its address, whose objects are a chain
     * of cache misses at thousands of endpoints. Two endpoints of one identity, or two identities
     * of one hash, take the sort, which rejects the first and orders the second by address.
     */
    private Changes changesTo(List<Endpoint> endpoints) {
        refuseNone(endpoints);
        int before = this.endpoints.length;
        Endpoint[] staying = new Endpoint[before];
        Endpoint[] joiners = new Endpoint[endpoints.size()];
        int joined = 0;
        for (Endpoint e : endpoints) {
            int at = Arrays.binarySearch(hashes, e.identityHash());
            if (at < 0) {
                joiners[joined++] = e;
            } else if (staying[at] == null && (this.endpoints[at] == e || this.endpoints[at].sameIdentity(e))) {
                staying[at] = e;
            } else {
                return Changes.between(this.endpoints, inIdentityOrder(endpoints));
            }
        }
        Arrays.sort(joiners, 0, joined, SlotTable::compareIdentity);
        for (int k = 1; k < joined; k++) {
            if (joiners[k].identityHash() == joiners[k - 1].identityHash()) {
                return Changes.between(this.endpoints, inIdentityOrder(endpoints));
            }
        }
        Endpoint[] next = new Endpoint[endpoints.size()];
        int[] newIndexOf = new int[before];
        boolean[] joining = new boolean[next.length];
        int j = 0;
        int k = 0;
        for (int i = 0; i < before; i++) {
            if (staying[i] == null) {
                newIndexOf[i] = -1;
                continue;
            }
            while (k < joined && joiners[k].identityHash() < hashes[i]) {
                joining[j] = true;
                next[j++] = joiners[k++];
            }
            newIndexOf[i] = j;
            next[j++] = staying[i];
        }
        while (k < joined) {
            joining[j] = true;
            next[j++] = joiners[k++];
        }
        return new Changes(this.endpoints, next, newIndexOf, joining, before - (next.length - joined), joined);
    }

    /** What differs between two endpoint arrays in identity order. */
    private static final class Changes {
        final Endpoint[] old;
        final Endpoint[] next;
        /** By old index: the new index of the same identity, or -1 when it left. */
        final int[] newIndexOf;
        /** By new index: whether the identity is new. */
        final boolean[] joining;
        final int removed;
        final int added;

        private Changes(Endpoint[] old, Endpoint[] next, int[] newIndexOf, boolean[] joining, int removed, int added) {
            this.old = old;
            this.next = next;
            this.newIndexOf = newIndexOf;
            this.joining = joining;
            this.removed = removed;
            this.added = added;
        }

        static Changes between(Endpoint[] old, Endpoint[] next) {
            int[] newIndexOf = new int[old.length];
            boolean[] joining = new boolean[next.length];
            int gone = 0;
            int j = 0;
            for (int i = 0; i < old.length; i++) {
                while (j < next.length && compareIdentity(next[j], old[i]) < 0) {
                    joining[j++] = true;
                }
                if (j < next.length && next[j].sameIdentity(old[i])) {
                    newIndexOf[i] = j++;
                } else {
                    gone++;
                    newIndexOf[i] = -1;
                }
            }
            while (j < next.length) {
                joining[j++] = true;
            }
            return new Changes(old, next, newIndexOf, joining, gone, next.length - (old.length - gone));
        }

        /** Whether an identity that stays has other fields now. */
        boolean replaced() {
            for (int i = 0; i < old.length; i++) {
                if (newIndexOf[i] >= 0 && !next[newIndexOf[i]].equals(old[i])) {
                    return true;
                }
            }
            return false;
        }

        boolean cheaperThanBuilding() {
            return SlotTable.cheaperThanBuilding(old.length, removed, added);
        }
    }

    /**
     * A slot a joining endpoint may take: {@code p} ranks the slot at {@code offset} in {@code block}
     * {@code rank}, and {@code owner} owns it.
     */
    private interface Challenge {
        void challenge(int slot, int owner, int block, int offset, int p, int rank);
    }

    /**
     * Every slot where joining endpoint {@code p} (of this identity hash) may outrank its owner, to
     * {@code challenge} with its owner from {@code owners}: its own top slots of each block to the
     * low depth, and the low slots, whose owner ranks below that depth. Joining endpoints only raise
     * owners' ranks, so the low slots before the first join hold every low slot of the later ones.
     *
     * <p>A block's slots are listed first and their owners read in one pass, before any challenge:
     * the owners of a table of thousands of endpoints are megabytes, so nearly every read misses the
     * caches, and reads that depend on nothing overlap, where reads between rankings waited one by
     * one (they took about half of a join at 5,000 endpoints). A challenge changes only its own
     * slot's owner, to {@code p}; a slot that comes twice (a draft's low slots may list one twice)
     * comes with the same rank, so its second challenge, against the owner read before the first,
     * gives it to {@code p} again, as the first left it.
     */
    private static void challengeFor(int bits, long identityHash, int p, ByBlock low, int baseLowDepth, int lowDepth,
            IntUnaryOperator owners, Challenge challenge) {
        Ranking joiner = new Ranking(identityHash);
        int most = 0;
        for (int block = 0; block < low.blocks; block++) {
            most = Math.max(most, (block == 0 ? baseLowDepth : lowDepth) + low.start[block + 1] - low.start[block]);
        }
        int[] slots = new int[most];
        int[] offsets = new int[most];
        int[] ranks = new int[most];
        int[] owner = new int[most];
        for (int block = 0; block < low.blocks; block++) {
            int size = blockSize(block);
            int listed = block == 0 ? baseLowDepth : lowDepth;
            int from = low.start[block];
            int to = low.start[block + 1];
            BlockRanking ranking = joiner.of(block, listed + to - from);
            ranking.topOffsets(listed, offsets);
            for (int i = 0; i < listed; i++) {
                slots[i] = slotOf(bits, block, offsets[i]);
                ranks[i] = size - 1 - i;
            }
            int count = listed;
            for (int i = from; i < to; i++) {
                int rank = ranking.rankOf(low.offsets[i]);
                if (rank < size - listed) {
                    slots[count] = low.slots[i];
                    offsets[count] = low.offsets[i];
                    ranks[count++] = rank;
                }
            }
            for (int i = 0; i < count; i++) {
                owner[i] = owners.applyAsInt(slots[i]);
            }
            for (int i = 0; i < count; i++) {
                challenge.challenge(slots[i], owner[i], block, offsets[i], p, ranks[i]);
            }
        }
    }

    /**
     * The endpoints that joined since an interim table's settled table, and each slot where one of
     * them outranks the settled owner, with the best of them there: an open-addressing map from
     * slot to an index in {@link #endpoints}. Made on the thread that builds pickers; immutable once
     * its table is made, so any thread reads it. A joined endpoint can outrank a settled owner only
     * in its own top slots to the settled table's low depth, or in the settled table's low slots
     * (as in {@link Draft#join}), so each join ranks a few thousand slots.
     */
    private static final class Joined {
        private static final long EMPTY = -1;
        /** The settled table the slots were taken from, and its endpoints' round keys, four each. */
        final SlotTable settled;
        final long[] settledKeys;
        /** The joined endpoints, in the order they joined; the present objects of their identities. */
        final Endpoint[] endpoints;
        final long[] keys;
        /**
         * Slot in the high half, index in {@link #endpoints} in the low, {@link #EMPTY} where none:
         * a power of two at least twice {@link #size}, one array so that a pick reads one line.
         */
        private long[] entries;
        private int size;
        private int shift;

        private Joined(SlotTable settled, long[] settledKeys, Endpoint[] endpoints, long[] keys, long[] entries, int size) {
            this.settled = settled;
            this.settledKeys = settledKeys;
            this.endpoints = endpoints;
            this.keys = keys;
            this.entries = entries;
            this.size = size;
            this.shift = 32 - Integer.numberOfTrailingZeros(entries.length);
        }

        /**
         * The joined endpoints of {@code next} over {@code settled} ({@code joining} by index in
         * {@code next}), derived from {@code before} when that stands on the same settled table and
         * none of its endpoints left since: then only the new ones rank slots.
         */
        static Joined of(SlotTable settled, Endpoint[] next, boolean[] joining, Joined before) {
            int count = 0;
            for (boolean j : joining) {
                count += j ? 1 : 0;
            }
            boolean keep = before != null && before.settled == settled;
            int[] stillAt = keep ? new int[before.endpoints.length] : null;
            for (int i = 0; keep && i < stillAt.length; i++) {
                stillAt[i] = Arrays.binarySearch(next, before.endpoints[i], SlotTable::compareIdentity);
                keep = stillAt[i] >= 0 && joining[stillAt[i]];
            }
            Endpoint[] all = new Endpoint[count];
            long[] keys = new long[4 * count];
            Joined joined;
            int from = 0;
            if (keep) {
                from = before.endpoints.length;
                for (int i = 0; i < from; i++) {
                    all[i] = next[stillAt[i]];
                }
                System.arraycopy(before.keys, 0, keys, 0, 4 * from);
                // The same slots while no endpoint joined since: an apply that only saw leaves copies nothing.
                joined = new Joined(settled, before.settledKeys, all, keys,
                        from == count ? before.entries : before.entries.clone(), before.size);
            } else {
                long[] settledKeys = new long[4 * settled.endpoints.length];
                for (int e = 0; e < settled.endpoints.length; e++) {
                    Ranking.keysOf(settled.endpoints[e].identityHash(), settledKeys, 4 * e);
                }
                long[] entries = new long[1024];
                Arrays.fill(entries, EMPTY);
                joined = new Joined(settled, settledKeys, all, keys, entries, 0);
            }
            if (from == count) {
                return joined;
            }
            Endpoint[] kept = Arrays.copyOf(all, from);
            Arrays.sort(kept, SlotTable::compareIdentity);
            int at = from;
            for (int j = 0; j < next.length; j++) {
                if (joining[j] && Arrays.binarySearch(kept, next[j], SlotTable::compareIdentity) < 0) {
                    all[at++] = next[j];
                }
            }
            Slots lowSlots = new Slots();
            lowSlots.addAll(settled.lowSlots);
            ByBlock low = new ByBlock(settled.bits, lowSlots);
            for (int p = from; p < count; p++) {
                Ranking.keysOf(all[p].identityHash(), keys, 4 * p);
                joined.join(p, low);
            }
            return joined;
        }

        /** The joined endpoint owning the slot, or {@code null} when its settled owner (present or not) outranks every one. */
        Endpoint ownerOf(int slot) {
            long entry = entries[indexOf(entries, shift, slot)];
            return entry == EMPTY ? null : endpoints[(int) entry];
        }

        /**
         * Where {@code slot}'s entry stands in {@code table} (a power of two, hashed with {@code
         * shift}), or the empty place that ends its probe.
         */
        private static int indexOf(long[] table, int shift, int slot) {
            int mask = table.length - 1;
            int i = slot * 0x9E3779B9 >>> shift;
            while (table[i] != EMPTY && (int) (table[i] >>> 32) != slot) {
                i = i + 1 & mask;
            }
            return i;
        }

        /** Lets joined endpoint {@code p} take the slots it ranks above their owner, as {@link Draft#join} does. */
        private void join(int p, ByBlock low) {
            challengeFor(settled.bits, endpoints[p].identityHash(), p, low, settled.baseLowDepth, settled.lowDepth,
                    settled::owner, this::challenge);
        }

        /**
         * Gives the slot to joined endpoint {@code p}, which ranks it {@code rank}, if that beats
         * its settled owner and the joined endpoint holding it, if any (which beat the settled
         * owner too: so most challenges end at the settled owner); a tie goes to the greater
         * identity, as the index order of a fresh table has it.
         */
        private void challenge(int slot, int owner, int block, int offset, int p, int rank) {
            int ownerRank = rankAt(settledKeys, owner, block, offset);
            if (rank < ownerRank || rank == ownerRank && compareIdentity(endpoints[p], settled.endpoints[owner]) < 0) {
                return;
            }
            int i = indexOf(entries, shift, slot);
            if (entries[i] != EMPTY) {
                int holder = (int) entries[i];
                int holderRank = rankAt(keys, holder, block, offset);
                if (rank < holderRank || rank == holderRank && compareIdentity(endpoints[p], endpoints[holder]) < 0) {
                    return;
                }
                entries[i] = (long) slot << 32 | p;
                return;
            }
            entries[i] = (long) slot << 32 | p;
            if (++size * 2 > entries.length) {
                grow();
            }
        }

        private void grow() {
            long[] old = entries;
            entries = new long[old.length * 2];
            Arrays.fill(entries, EMPTY);
            shift--;
            for (long entry : old) {
                if (entry != EMPTY) {
                    entries[indexOf(entries, shift, (int) (entry >>> 32))] = entry;
                }
            }
        }
    }

    /** A table being filled; {@link #table()} freezes it. */
    private static final class Draft {
        final int bits;
        final Endpoint[] endpoints;
        final SlotOwners owners;
        final Slots orphans = new Slots();
        /**
         * Every slot whose owner ranks at least the low depth below its block's top, and perhaps
         * some no longer so, or twice: {@link #table()} sorts them out.
         */
        final Slots low = new Slots();
        /** Whether {@link #low} holds every low slot: not when derived from a table that lists none. */
        boolean lowKnown = true;
        private int baseLowDepth;
        private int lowDepth;
        private Ranking[] rankings;
        private long[] roundKeys;

        Draft(int bits, Endpoint[] endpoints, boolean small, int baseLowDepth, int lowDepth) {
            this.bits = bits;
            this.endpoints = endpoints;
            this.owners = new SlotOwners(bits, small);
            this.baseLowDepth = baseLowDepth;
            this.lowDepth = lowDepth;
        }

        /** The endpoints' rankings, derived on first use. */
        Ranking[] rankings() {
            if (rankings == null) {
                rankings = new Ranking[endpoints.length];
                for (int e = 0; e < endpoints.length; e++) {
                    rankings[e] = new Ranking(endpoints[e].identityHash());
                }
            }
            return rankings;
        }

        /** The endpoints' round keys, four by endpoint in a row, derived on first use. */
        long[] roundKeys() {
            if (roundKeys == null) {
                roundKeys = new long[4 * endpoints.length];
                for (int e = 0; e < endpoints.length; e++) {
                    Ranking.keysOf(endpoints[e].identityHash(), roundKeys, 4 * e);
                }
            }
            return roundKeys;
        }

        int owner(int slot) {
            return owners.get(slot);
        }

        /** Gives the slot to the endpoint, which ranks it {@code deficit} below its block's top. */
        void own(int slot, int endpoint, int deficit) {
            owners.set(slot, endpoint);
            if (deficit >= lowDepthOf(slot)) {
                low.add(slot);
            }
        }

        /** The low depth that applies to the slot: block 0's slots are those a 2^18 table has. */
        private int lowDepthOf(int slot) {
            return (slot & (1 << (bits - BASE_BITS)) - 1) == 0 ? baseLowDepth : lowDepth;
        }

        /** How far below its block's top the slot's owner ranks it. */
        private int deficitOf(int slot) {
            int block = blockOf(bits, slot);
            return blockSize(block) - 1 - rankAt(roundKeys(), owner(slot), block, offsetOf(bits, slot));
        }

        /**
         * Whether the low depth is so far below what the present endpoint count needs (after many
         * left) that the list of low slots grows long: then {@link #relist()} deepens it.
         */
        boolean lowDepthTooSmall() {
            int n = endpoints.length;
            return baseLowDepth < joinDepth(blockSize(0), n) / 2 || lowDepth < joinDepth(blockSize(1), n) / 2;
        }

        /** Lists the low slots anew, at the depth that suits the present endpoint count: ranks every slot's owner. */
        void relist() {
            int n = endpoints.length;
            baseLowDepth = joinDepth(blockSize(0), n);
            lowDepth = joinDepth(blockSize(1), n);
            low.size = 0;
            lowKnown = true;
            for (int slot = 0; slot < 1 << bits; slot++) {
                if (deficitOf(slot) >= lowDepthOf(slot)) {
                    low.add(slot);
                }
            }
        }

        /**
         * Gives each of {@code slots} to its top-ranked endpoint, ranking every endpoint
         * ({@link #topRanked}), slot by slot.
         */
        void rankEverywhere(Slots slots) {
            ByBlock groups = new ByBlock(bits, slots);
            long[] keys = roundKeys();
            int n = endpoints.length;
            for (int block = 0; block < groups.blocks; block++) {
                int size = blockSize(block);
                int halfBits = halfBitsOf(block);
                int halfMask = (1 << halfBits) - 1;
                long tweak = tweakOf(block);
                for (int i = groups.start[block]; i < groups.start[block + 1]; i++) {
                    int offset = groups.offsets[i];
                    long best = topRanked(keys, n, offset >>> halfBits, offset & halfMask, halfBits, tweak);
                    own(groups.slots[i], (int) best, size - 1 - (int) (best >>> 32));
                }
            }
        }

        /** Lets each joining endpoint take the slots it ranks above their owner ({@link #challengeFor}). */
        void join(boolean[] joining) {
            int n = endpoints.length;
            ByBlock lowByBlock = new ByBlock(bits, low);
            for (int p = 0; p < n; p++) {
                if (joining[p]) {
                    challengeFor(bits, endpoints[p].identityHash(), p, lowByBlock, baseLowDepth, lowDepth, this::owner,
                            this::challenge);
                }
            }
        }

        /** Gives the slot to endpoint {@code p}, which ranks it {@code rank}, if that beats its owner. */
        private void challenge(int slot, int owner, int block, int offset, int p, int rank) {
            if (owner == p) {
                return;
            }
            int ownerRank = rankAt(roundKeys(), owner, block, offset);
            if (rank > ownerRank || rank == ownerRank && p > owner) {
                own(slot, p, blockSize(block) - 1 - rank);
            }
        }

        /**
         * Freezes the draft, its low slots sorted, each once, and only those still low; none when
         * they are not known or more than a sixteenth of the slots.
         */
        SlotTable table() {
            if (!lowKnown || low.size > (1 << bits) >>> 4) {
                return new SlotTable(bits, endpoints, owners, baseLowDepth, lowDepth, null);
            }
            int[] sorted = Arrays.copyOf(low.at, low.size);
            Arrays.sort(sorted);
            int kept = 0;
            for (int i = 0; i < sorted.length; i++) {
                int slot = sorted[i];
                if ((kept == 0 || sorted[kept - 1] != slot) && deficitOf(slot) >= lowDepthOf(slot)) {
                    sorted[kept++] = slot;
                }
            }
            return new SlotTable(bits, endpoints, owners, baseLowDepth, lowDepth,
                    kept > (1 << bits) >>> 4 ? null : Arrays.copyOf(sorted, kept));
        }
    }

    /** A growing list of slot numbers. */
    private static final class Slots {
        int[] at = new int[64];
        int size;

        void add(int slot) {
            if (size == at.length) {
                at = Arrays.copyOf(at, size * 2);
            }
            at[size++] = slot;
        }

        void addAll(int[] slots) {
            if (size + slots.length > at.length) {
                at = Arrays.copyOf(at, Math.max(size + slots.length, size * 2));
            }
            System.arraycopy(slots, 0, at, size, slots.length);
            size += slots.length;
        }
    }

    /** Slots sorted by block, with their offsets in it: block b's are at [start[b], start[b + 1]). */
    private static final class ByBlock {
        final int blocks;
        final int[] start;
        final int[] slots;
        final int[] offsets;

        ByBlock(int bits, Slots list) {
            blocks = blockCount(bits);
            start = new int[blocks + 1];
            slots = new int[list.size];
            offsets = new int[list.size];
            int[] blockOf = new int[list.size];
            for (int i = 0; i < list.size; i++) {
                blockOf[i] = blockOf(bits, list.at[i]);
                start[blockOf[i] + 1]++;
            }
            for (int block = 0; block < blocks; block++) {
                start[block + 1] += start[block];
            }
            int[] next = Arrays.copyOf(start, blocks);
            for (int i = 0; i < list.size; i++) {
                int at = next[blockOf[i]]++;
                slots[at] = list.at[i];
                offsets[at] = offsetOf(bits, list.at[i]);
            }
        }
    }

    /**
     * One endpoint's rankings of the blocks: for each block a 4-round Feistel network whose round
     * functions hash a half of the bits with the endpoint's round keys and the block number, so a
     * keyed permutation of the block's offsets that runs both ways. Block 0's are those of every
     * release.
     */
    static final class Ranking {
        private final long[] keys = new long[4];

        Ranking(long identityHash) {
            keysOf(identityHash, keys, 0);
        }

        /** Writes the endpoint's four round keys into {@code into} from {@code at}. */
        static void keysOf(long identityHash, long[] into, int at) {
            long state = identityHash;
            for (int i = 0; i < 4; i++) {
                state += 0x9E3779B97F4A7C15L;
                into[at + i] = Hashing.mix64(state);
            }
        }

        /** This endpoint's ranking of one block, tabulated when it will rank many of its offsets. */
        BlockRanking of(int block, int expectedUses) {
            return new BlockRanking(keys, block, expectedUses, true);
        }

        /**
         * This endpoint's ranking of one block for {@link BlockRanking#topOffsets} only, tabulated
         * when it will list many of its offsets.
         */
        BlockRanking listing(int block, int depth) {
            return new BlockRanking(keys, block, depth, false);
        }
    }

    /**
     * One endpoint's ranking of one block. When tabulated, its results are the same. One made for
     * listing alone ({@link Ranking#listing}) answers {@link #topOffsets} only.
     */
    static final class BlockRanking {
        private final long k0;
        private final long k1;
        private final long k2;
        private final long k3;
        private final int halfBits;
        private final int halfMask;
        private final int shift;
        private final short[] tables;

        BlockRanking(long[] keys, int block, int expectedUses, boolean anyRank) {
            long tweak = tweakOf(block);
            k0 = keys[0] ^ tweak;
            k1 = keys[1] ^ tweak;
            k2 = keys[2] ^ tweak;
            k3 = keys[3] ^ tweak;
            halfBits = halfBitsOf(block);
            halfMask = (1 << halfBits) - 1;
            shift = 64 - halfBits;
            // Tabulating hashes 4 x 2^halfBits times, a use without it 4 times: worth it beyond 2^halfBits uses
            // (a build's 2^16-slot blocks at 600 to 1,500 endpoints list 300 to 500 slots each). Listing top
            // offsets (topOffsets) hashes the last round once per high half: there, tabulating hashes 3 x
            // 2^halfBits times and a use 3 times, the same threshold.
            if (expectedUses > 1 << halfBits) {
                int rounds = anyRank ? 4 : 3;
                tables = new short[rounds << halfBits];
                long[] tweaked = {k0, k1, k2, k3};
                for (int i = 0; i < rounds; i++) {
                    for (int half = 0; half <= halfMask; half++) {
                        tables[i << halfBits | half] = (short) f(tweaked[i], half);
                    }
                }
            } else {
                tables = null;
            }
        }

        private int f(long key, int half) {
            return (int) (Hashing.mix64(half ^ key) >>> shift);
        }

        /** Where this endpoint ranks the slot at {@code offset} in the block. */
        int rankOf(int offset) {
            int left = offset >>> halfBits;
            int right = offset & halfMask;
            if (tables != null) {
                left ^= tables[right];
                right ^= tables[1 << halfBits | left];
                left ^= tables[2 << halfBits | right];
                right ^= tables[3 << halfBits | left];
                return left << halfBits | right;
            }
            return feistel(k0, k1, k2, k3, halfBits, offset);
        }

        /**
         * The offsets this endpoint ranks at its top {@code depth} ranks, the highest first, into
         * {@code into}: {@link #rankOf} run backwards. Its first round backwards (the fourth) hashes
         * a rank's high half only, so it is computed once for each high half, which 2^halfBits
         * consecutive ranks share.
         */
        void topOffsets(int depth, int[] into) {
            int size = 1 << 2 * halfBits;
            int high = -1;
            int fourth = 0;
            for (int i = 0; i < depth; i++) {
                int rank = size - 1 - i;
                int left = rank >>> halfBits;
                if (left != high) {
                    high = left;
                    fourth = f(k3, left);
                }
                int right = rank & halfMask ^ fourth;
                if (tables != null) {
                    left ^= tables[2 << halfBits | right];
                    right ^= tables[1 << halfBits | left];
                    left ^= tables[right];
                } else {
                    left ^= f(k2, right);
                    right ^= f(k1, left);
                    left ^= f(k0, right);
                }
                into[i] = left << halfBits | right;
            }
        }
    }
}
