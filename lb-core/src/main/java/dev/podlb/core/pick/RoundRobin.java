package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Round-robin over the pickable endpoints, each taking turns in proportion to its
 * {@link Endpoint#weight()} (see {@link Weights}) and, with a {@link SlowStart}, a new pod fewer
 * turns while it warms up. The position lives in each load balancer's
 * {@link Instance}, not in the pickers it builds, so a change of endpoints neither restarts the
 * rotation at the first endpoint nor skews it.
 *
 * <p>One shared atomic counter would make every pick on every thread write the same cache line,
 * which costs more than the pick itself once two threads contend. So the position is striped:
 * each thread advances the stripe its id falls on, every stripe in a cache line of its own and
 * starting at a random offset, and each stripe visits the endpoints in order. A stripe is read and
 * written plainly, not atomically: two threads that share one may now and then pick the same
 * endpoint twice, which costs a little evenness and nothing else, where an atomic increment would
 * cost every pick a few nanoseconds. (The load balancer's volatile read of its state before each
 * pick keeps the compiler from caching a position across picks.)
 */
final class RoundRobin implements PickerPolicy {
    static final RoundRobin POLICY = new RoundRobin(null);

    private static final int INTS_PER_CACHE_LINE = 16;

    /** {@code null} when new pods take their full share at once. */
    private final SlowStart slowStart;

    RoundRobin(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    @Override
    public PickerInstance newInstance(PickerContext context) {
        return new Instance(slowStart == null ? null : new WarmUp(slowStart, context.scheduler()));
    }

    /** None: a rotation reads no load. */
    @Override
    public Set<LiveFigure> reads() {
        return Set.of();
    }

    @Override
    public String toString() {
        return slowStart == null ? "round-robin" : "round-robin with " + slowStart;
    }

    /** Where stripe {@code stripe}'s position lives in a positions array. */
    static int slot(int stripe) {
        return (stripe + 1) * INTS_PER_CACHE_LINE;
    }

    /**
     * One load balancer's rotation: the striped positions every picker it builds advances, and
     * with slow start when each pod became ready. Called on the load balancer's serial context.
     */
    static final class Instance implements PickerInstance {
        private final int[] positions;
        private final int stripeMask;
        /** {@code null} without slow start. */
        private final WarmUp warmUp;

        /** A rotation without slow start. */
        Instance() {
            this(null);
        }

        Instance(WarmUp warmUp) {
            this.warmUp = warmUp;
            int stripes = Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 - 1) * 2;
            stripes = Math.min(stripes, 64);
            this.stripeMask = stripes - 1;
            // Stripe i lives at index (i + 1) * 16: the array's own header, read by every bounds
            // check, keeps a cache line to itself.
            this.positions = new int[(stripes + 1) * INTS_PER_CACHE_LINE];
            SplittableRandom random = new SplittableRandom();
            for (int i = 0; i < stripes; i++) {
                positions[slot(i)] = random.nextInt(1 << 30);
            }
        }

        @Override
        public Picker newPicker(PickableEndpoints pickable) {
            Endpoint[] endpoints = Weights.candidates(pickable.endpoints());
            Ramp ramp = warmUp == null ? null : warmUp.ramp(pickable, endpoints);
            if (endpoints.length == 1) {
                Endpoint only = endpoints[0];
                return request -> only;
            }
            int[] weights = Weights.of(endpoints);
            boolean weighted = !Weights.allEqual(weights);
            if (!weighted && ramp == null) {
                return new RoundRobinPicker(endpoints, positions, stripeMask);
            }
            int[] schedule = weighted ? Weights.smoothSchedule(Weights.reduced(weights)) : null;
            return new WeightedRoundRobinPicker(endpoints, schedule, positions, stripeMask, ramp);
        }

        @Override
        public String toString() {
            return warmUp == null ? "round-robin" : "round-robin with " + warmUp;
        }
    }

    /** Holds the instance's positions itself, so a pick is one method with no further call. */
    private static final class RoundRobinPicker implements Picker {
        private final Endpoint[] endpoints;
        private final int[] positions;
        private final int stripeMask;

        RoundRobinPicker(Endpoint[] endpoints, int[] positions, int stripeMask) {
            this.endpoints = endpoints;
            this.positions = positions;
            this.stripeMask = stripeMask;
        }

        @Override
        public Endpoint pick(PickRequest request) {
            int slot = slot((int) Thread.currentThread().getId() & stripeMask);
            int n = endpoints.length;
            int position = positions[slot];
            // The position may be past n after the endpoints shrank; the remainder keeps its place.
            int index = position < n ? position : position % n;
            positions[slot] = index + 1 == n ? 0 : index + 1;
            return endpoints[index];
        }

        @Override
        public String toString() {
            return "round-robin over " + endpoints.length + " endpoints";
        }
    }
}
