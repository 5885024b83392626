package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Round-robin over the pickable endpoints. The position lives in this factory, not in the pickers
 * it builds, so a change of endpoints neither restarts the rotation at the first endpoint nor
 * skews it.
 *
 * <p>One shared counter would make every pick on every thread write the same cache line, which
 * costs more than the pick itself once two threads contend. So the position is striped: each
 * thread advances the stripe its id falls on, every stripe in a cache line of its own and starting
 * at a random offset. Each stripe visits the endpoints in order, so the totals stay even to within
 * one pick per stripe.
 */
final class RoundRobin implements Picker.Factory {
    private static final int INTS_PER_CACHE_LINE = 16;

    private final AtomicIntegerArray positions;
    private final int stripeMask;

    RoundRobin() {
        int stripes = Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 - 1) * 2;
        stripes = Math.min(stripes, 64);
        this.stripeMask = stripes - 1;
        // Stripe i lives at index (i + 1) * 16: the array's own header, read by every bounds check,
        // keeps a cache line to itself.
        this.positions = new AtomicIntegerArray((stripes + 1) * INTS_PER_CACHE_LINE);
        SplittableRandom random = new SplittableRandom();
        for (int i = 0; i < stripes; i++) {
            positions.set(slot(i), random.nextInt(1 << 30));
        }
    }

    @Override
    public Picker newPicker(PickableEndpoints pickable) {
        Endpoint[] endpoints = pickable.endpoints().toArray(new Endpoint[0]);
        if (endpoints.length == 1) {
            Endpoint only = endpoints[0];
            return request -> only;
        }
        return new RoundRobinPicker(endpoints, this);
    }

    int next() {
        int stripe = (int) Thread.currentThread().getId() & stripeMask;
        return positions.getAndIncrement(slot(stripe)) & Integer.MAX_VALUE;
    }

    private static int slot(int stripe) {
        return (stripe + 1) * INTS_PER_CACHE_LINE;
    }

    @Override
    public String toString() {
        return "round-robin";
    }

    private static final class RoundRobinPicker implements Picker {
        private final Endpoint[] endpoints;
        private final RoundRobin position;

        RoundRobinPicker(Endpoint[] endpoints, RoundRobin position) {
            this.endpoints = endpoints;
            this.position = position;
        }

        @Override
        public Endpoint pick(PickRequest request) {
            return endpoints[position.next() % endpoints.length];
        }

        @Override
        public String toString() {
            return "round-robin over " + endpoints.length + " endpoints";
        }
    }
}
