package dev.podlb.core.pick;

import java.util.Objects;

/**
 * The built-in picker policies. A policy holds no state: one may be shared by every load
 * balancer, each of which keeps its own round-robin position or sticky table.
 *
 * <pre>{@code
 * LoadBalancer.builder("backend").picker(Pickers.roundRobin())...
 * LoadBalancer.builder("carts").picker(Pickers.sticky())...     // PickRequest.sticky(cartId)
 * }</pre>
 */
public final class Pickers {
    private Pickers() {}

    /** Each endpoint in turn, evenly, on every thread. */
    public static PickerPolicy roundRobin() {
        return RoundRobin.POLICY;
    }

    /**
     * The same sticky key reaches the same endpoint, on every client replica, and when an endpoint
     * comes or goes only the keys it gains or loses move. Requests without a key go round-robin.
     */
    public static PickerPolicy sticky() {
        return Sticky.POLICY;
    }

    /** {@link #sticky()}, with keys bound in {@code memory} going to their bound endpoint while it is pickable. */
    public static PickerPolicy sticky(AffinityMemory memory) {
        return new Sticky(Objects.requireNonNull(memory, "memory"));
    }
}
