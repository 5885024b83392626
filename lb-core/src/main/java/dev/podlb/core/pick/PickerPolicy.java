package dev.podlb.core.pick;

import java.util.Set;

/**
 * How a service's requests choose a pod: what an application configures. A policy holds no state
 * of its own and may serve any number of load balancers; each load balancer makes its own
 * {@link PickerInstance} from it once, when it is built, and that instance keeps whatever the
 * policy needs from one set of endpoints to the next (a round-robin position, a sticky table).
 *
 * <pre>{@code
 * // A stateless policy of the application's: the first pickable pod in zone "a", else the first.
 * PickerPolicy firstInZoneA = PickerPolicy.of(pickable -> {
 *     Endpoint chosen = pickable.endpoints().stream()
 *             .filter(e -> e.zone().orElse("").equals("a")).findFirst()
 *             .orElse(pickable.endpoints().get(0));
 *     return request -> chosen;
 * });
 * LoadBalancer.builder("backend").picker(firstInZoneA)...
 * }</pre>
 */
@FunctionalInterface
public interface PickerPolicy {
    /** The instance for one load balancer; called once per load balancer, when it is built. */
    PickerInstance newInstance(PickerContext context);

    /**
     * The live figures this policy's pickers read, beside requests in flight per endpoint and
     * failures in a row, which are always kept: a load balancer keeps the others only when they are
     * read, since each costs every attempt ({@link LiveFigure}). By default every one, so that a
     * picker of the application's sees them all; a policy that reads fewer says so, and its calls
     * cost less. A picker that reads a figure its policy did not declare sees it as {@link LiveFigure}
     * says of a figure not kept (latency 0, the total in flight summed when asked).
     */
    default Set<LiveFigure> reads() {
        return Set.of(LiveFigure.values());
    }

    /** A policy whose load balancers all use {@code instance}, which must therefore keep no state. */
    static PickerPolicy of(PickerInstance instance) {
        java.util.Objects.requireNonNull(instance, "picker instance");
        return new PickerPolicy() {
            @Override
            public PickerInstance newInstance(PickerContext context) {
                return instance;
            }

            @Override
            public String toString() {
                return instance.toString();
            }
        };
    }
}
