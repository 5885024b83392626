package dev.podlb.core.internal;

import dev.podlb.core.Endpoint;
import java.util.List;
import java.util.function.Function;

/**
 * Finds a pod's state from the very {@link Endpoint} object a pick returned, without hashing an
 * address: an open-addressing table keyed by endpoint identity (the object, compared with
 * {@code ==}), placed by its precomputed {@link Endpoint#identityHash()}. Built once per set, off
 * the request path; immutable. An endpoint object that did not come from this set is not found,
 * and the caller falls back to a lookup by address.
 */
final class PodIndex {
    static final PodIndex EMPTY = new PodIndex(new Endpoint[1], new PodState[1]);

    private final Endpoint[] keys;
    private final PodState[] values;
    private final int mask;

    private PodIndex(Endpoint[] keys, PodState[] values) {
        this.keys = keys;
        this.values = values;
        this.mask = keys.length - 1;
    }

    static PodIndex of(List<Endpoint> endpoints, Function<Endpoint, PodState> states) {
        int capacity = Integer.highestOneBit(Math.max(1, endpoints.size()) * 2 - 1) * 2;
        Endpoint[] keys = new Endpoint[capacity];
        PodState[] values = new PodState[capacity];
        int mask = capacity - 1;
        for (Endpoint e : endpoints) {
            PodState state = states.apply(e);
            if (state == null) {
                continue;
            }
            int i = (int) e.identityHash() & mask;
            while (keys[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = e;
            values[i] = state;
        }
        return new PodIndex(keys, values);
    }

    /** The state of this endpoint object, or {@code null} when it is not one of the set's. */
    PodState get(Endpoint endpoint) {
        int i = (int) endpoint.identityHash() & mask;
        Endpoint key;
        while ((key = keys[i]) != null) {
            if (key == endpoint) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }
}
