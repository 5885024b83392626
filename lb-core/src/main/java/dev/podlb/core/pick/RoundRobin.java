package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import java.util.SplittableRandom;

/**
 * Round-robin over the pickable endpoints. The position lives in each load balancer's
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
    static final RoundRobin POLICY = new RoundRobin();

    private static final int INTS_PER_CACHE_LINE = 16;

    private RoundRobin() {}

    @Override
    public PickerInstance newInstance(PickerContext context) {
        return new Instance();
    }

    @Override
    public String toString() {
        return "round-robin";
    }

    private static int slot(int stripe) {
        return (stripe + 1) * INTS_PER_CACHE_LINE;
    }

    /** One load balancer's rotation: the striped positions every picker it builds advances. */
    static final class Instance implements PickerInstance {
        private final int[] positions;
        private final int stripeMask;

        Instance() {
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
            Endpoint[] endpoints = pickable.endpoints().toArray(new Endpoint[0]);
            if (endpoints.length == 1) {
                Endpoint only = endpoints[0];
                return request -> only;
            }
            return new RoundRobinPicker(endpoints, positions, stripeMask);
        }

        @Override
        public String toString() {
            return "round-robin";
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
