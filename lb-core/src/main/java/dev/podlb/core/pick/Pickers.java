package dev.podlb.core.pick;

import java.util.Objects;

/**
 * The built-in picker policies. A policy holds no state: one may be shared by every load
 * balancer, each of which keeps its own round-robin position or sticky table.
 *
 * <pre>{@code
 * LoadBalancer.builder("backend").picker(Pickers.roundRobin())...
 * LoadBalancer.builder("carts").picker(Pickers.sticky())...     // PickRequest.sticky(cartId)
 * LoadBalancer.builder("search").picker(Pickers.leastRequest().latencyAware(true))...
 * }</pre>
 *
 * <p>Round-robin and least-request honour each endpoint's {@link dev.podlb.core.Endpoint#weight()
 * weight} (from DNS SRV records); a pod of weight 0 is picked only when every pickable pod has
 * weight 0.
 */
public final class Pickers {
    private Pickers() {}

    /** Each endpoint in turn, in proportion to its weight (evenly when weights are equal), on every thread. */
    public static PickerPolicy roundRobin() {
        return RoundRobin.POLICY;
    }

    /** {@link #roundRobin()}, with each pod that becomes ready eased in as {@code slowStart} says. */
    public static PickerPolicy roundRobin(SlowStart slowStart) {
        return new RoundRobin(Objects.requireNonNull(slowStart, "slowStart"));
    }

    /**
     * The less loaded of two endpoints drawn at random (by weight): requests in flight, or with
     * {@link LeastRequest#latencyAware(boolean) latencyAware(true)} Peak-EWMA's latency-weighted
     * cost. Settings are changed on the returned policy: {@code leastRequest().choices(3)}.
     */
    public static LeastRequest leastRequest() {
        return LeastRequest.DEFAULT;
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
        return new Sticky(Objects.requireNonNull(memory, "memory"), -1);
    }

    /**
     * {@link #sticky()} with bounded load: a key whose endpoint has
     * {@code ⌈(1 + epsilon) × (requests in flight + 1) / endpoints⌉} requests in flight goes to the
     * first endpoint below that among its alternatives (the same on every replica), so that one hot
     * key range cannot overload a pod. Keys move only while their endpoint is over the bound.
     * {@code epsilon} 0.25 lets a pod take 25% more than the mean; it must be more than 0.
     */
    public static PickerPolicy sticky(double epsilon) {
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("sticky load bound epsilon is " + epsilon
                    + "; expected more than 0, such as 0.25 (a pod may take 25% more than the mean)");
        }
        return new Sticky(null, epsilon);
    }

    /**
     * Whether {@code policy} is one of the sticky policies made here: it needs each request's
     * sticky key ({@link PickRequest#sticky(String)}) and spreads requests without one round-robin.
     * A front end that has no way to give keys refuses it rather than go round-robin silently.
     */
    public static boolean isSticky(PickerPolicy policy) {
        return policy instanceof Sticky;
    }

    /**
     * Whether {@code policy} is round-robin or least-request as made here, which never read a
     * request's sticky key: a front end given a sticky key with one refuses the pair rather than
     * ignore the key. {@code false} for sticky policies and for policies of the application's,
     * which may read keys as they like.
     */
    public static boolean ignoresStickyKeys(PickerPolicy policy) {
        return policy instanceof RoundRobin || policy instanceof LeastRequest;
    }
}
