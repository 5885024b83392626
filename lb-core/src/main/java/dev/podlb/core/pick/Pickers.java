package dev.podlb.core.pick;

import java.util.Objects;

/**
 * The built-in pickers. Each call returns a new factory with its own state (a round-robin
 * position): give each load balancer its own.
 *
 * <pre>{@code
 * LoadBalancer.builder("backend").picker(Pickers.roundRobin())...
 * LoadBalancer.builder("carts").picker(Pickers.sticky())...     // PickRequest.sticky(cartId)
 * }</pre>
 */
public final class Pickers {
    private Pickers() {}

    /** Each endpoint in turn, evenly, on every thread. */
    public static Picker.Factory roundRobin() {
        return new RoundRobin();
    }

    /**
     * The same sticky key reaches the same endpoint, on every client replica, and when an endpoint
     * comes or goes only the keys it gains or loses move. Requests without a key go round-robin.
     */
    public static Picker.Factory sticky() {
        return new Sticky(null);
    }

    /** {@link #sticky()}, with keys bound in {@code memory} going to their bound endpoint while it is pickable. */
    public static Picker.Factory sticky(AffinityMemory memory) {
        return new Sticky(Objects.requireNonNull(memory, "memory"));
    }
}
