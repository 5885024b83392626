package dev.podlb.core.pick;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The owner of every slot of a {@link SlotTable}, an endpoint index a slot: two bytes while every
 * index fits a char, four beyond. Stored in chunks of 2^16 slots (128 or 256 KiB), not one array:
 * G1 places an object larger than half a heap region (regions are 1 to 32 MiB, by heap size) in
 * regions of its own, rounded up to whole regions, so one array of 2^22 chars (8 MiB and a 16-byte
 * header) took 12 MiB of a heap with 4 MiB regions, and one of 2^21 chars took 8. A chunk stays
 * below the smallest region's half.
 *
 * <p>Written only while its table is a draft, on the thread building it; read by any thread once
 * the table is published.
 */
final class SlotOwners {
    private static final int CHUNK_BITS = 16;
    private static final int CHUNK_MASK = (1 << CHUNK_BITS) - 1;

    /** Chunks of chars while every endpoint index fits one, else {@code null}. */
    private final char[][] small;
    /** Chunks of ints beyond 65,536 endpoints, else {@code null}. */
    private final int[][] large;

    /** Owners for 2^bits slots (a table has at least 2^18), every one owned by endpoint 0 until set. */
    SlotOwners(int bits, boolean small) {
        int chunks = 1 << (bits - CHUNK_BITS);
        if (small) {
            this.small = new char[chunks][1 << CHUNK_BITS];
            this.large = null;
        } else {
            this.small = null;
            this.large = new int[chunks][1 << CHUNK_BITS];
        }
    }

    boolean small() {
        return small != null;
    }

    int get(int slot) {
        return small != null ? small[slot >>> CHUNK_BITS][slot & CHUNK_MASK] : large[slot >>> CHUNK_BITS][slot & CHUNK_MASK];
    }

    void set(int slot, int endpoint) {
        if (small != null) {
            small[slot >>> CHUNK_BITS][slot & CHUNK_MASK] = (char) endpoint;
        } else {
            large[slot >>> CHUNK_BITS][slot & CHUNK_MASK] = endpoint;
        }
    }

    /**
     * Sets every slot's owner to {@code from}'s, renumbered through {@code newIndexOf}, and tells
     * {@code orphan} each slot whose owner has no new number (it left). Chunk by chunk, as a plain
     * loop over arrays: a table's update copies all its slots this way.
     */
    void renumber(SlotOwners from, int[] newIndexOf, IntConsumer orphan) {
        if (small != null) {
            for (int c = 0; c < small.length; c++) {
                char[] source = from.small[c];
                char[] target = small[c];
                int first = c << CHUNK_BITS;
                for (int i = 0; i < target.length; i++) {
                    int owner = newIndexOf[source[i]];
                    if (owner < 0) {
                        orphan.accept(first + i);
                    }
                    target[i] = (char) owner;
                }
            }
        } else {
            for (int c = 0; c < large.length; c++) {
                int[] source = from.large[c];
                int[] target = large[c];
                int first = c << CHUNK_BITS;
                for (int i = 0; i < target.length; i++) {
                    int owner = newIndexOf[source[i]];
                    if (owner < 0) {
                        orphan.accept(first + i);
                    }
                    target[i] = owner;
                }
            }
        }
    }

    /** The bytes of the owners' arrays, headers included, with 4-byte references. */
    long bytes() {
        return 16 + 4L * chunks() + chunks() * (16 + chunkBytes());
    }

    /** The largest array these owners hold, in bytes with its header: what G1 must place whole. */
    long largestArrayBytes() {
        return 16 + Math.max(4L * chunks(), chunkBytes());
    }

    private int chunks() {
        return small != null ? small.length : large.length;
    }

    /** The bytes of one chunk's elements, without its header. */
    private long chunkBytes() {
        return (small != null ? Character.BYTES : Integer.BYTES) * (long) (1 << CHUNK_BITS);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SlotOwners that && Arrays.deepEquals(small, that.small) && Arrays.deepEquals(large, that.large);
    }

    @Override
    public int hashCode() {
        return small != null ? Arrays.deepHashCode(small) : Arrays.deepHashCode(large);
    }
}
