package dev.podlb.core;

import java.util.List;

/**
 * Finds a pod's state from the very {@link Endpoint} object a pick returned, without hashing an
 * address: an open-addressing table keyed by endpoint identity (the object, compared with
 * {@code ==}), placed by its precomputed {@link Endpoint#identityHash()}. Built once per set, off
 * the request path; immutable. An endpoint object that did not come from this set is not found,
 * and the caller falls back to a lookup by address.
 */
final class PodIndex {
    static final PodIndex EMPTY = new PodIndex(new Object[2]);

    /** Key and value side by side ({@code [2i]} the endpoint, {@code [2i + 1]} its state): one cache line per probe. */
    private final Object[] slots;
    private final int mask;

    private PodIndex(Object[] slots) {
        this.slots = slots;
        this.mask = slots.length / 2 - 1;
    }

    /** The index of {@code endpoints} to {@code states}, the state of each at the same position; a {@code null} state leaves its endpoint out. */
    static PodIndex of(List<Endpoint> endpoints, PodState[] states) {
        int capacity = Integer.highestOneBit(Math.max(1, endpoints.size()) * 2 - 1) * 2;
        Object[] slots = new Object[capacity * 2];
        int mask = capacity - 1;
        for (int n = 0; n < states.length; n++) {
            PodState state = states[n];
            if (state == null) {
                continue;
            }
            Endpoint e = endpoints.get(n);
            int i = (int) e.identityHash() & mask;
            while (slots[2 * i] != null) {
                i = (i + 1) & mask;
            }
            slots[2 * i] = e;
            slots[2 * i + 1] = state;
        }
        return new PodIndex(slots);
    }

    /** The state of this endpoint object, or {@code null} when it is not one of the set's. */
    PodState get(Endpoint endpoint) {
        int i = (int) endpoint.identityHash() & mask;
        Object key;
        while ((key = slots[2 * i]) != null) {
            if (key == endpoint) {
                return (PodState) slots[2 * i + 1];
            }
            i = (i + 1) & mask;
        }
        return null;
    }
}
