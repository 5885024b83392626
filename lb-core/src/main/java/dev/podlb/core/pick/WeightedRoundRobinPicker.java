package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;

/**
 * Round-robin when the endpoints' weights differ or a pod is warming up: each thread's stripe of
 * the load balancer's positions walks a smooth weighted schedule ({@link Weights#smoothSchedule})
 * instead of the endpoints themselves, and a slowed pod lets a share of its turns pass to the
 * next in the walk. Immutable but for the shared positions and turn credits, written plainly as
 * {@link RoundRobin} explains; picks from any number of threads at once.
 */
final class WeightedRoundRobinPicker implements Picker {
    private final Endpoint[] endpoints;
    /** Endpoint indices in visiting order; {@code null} when the weights are equal: each endpoint in turn. */
    private final int[] schedule;
    private final int length;
    private final int[] positions;
    private final int stripeMask;
    /** {@code null} without slow start. */
    private final Ramp ramp;

    WeightedRoundRobinPicker(Endpoint[] endpoints, int[] schedule, int[] positions, int stripeMask, Ramp ramp) {
        this.endpoints = endpoints;
        this.schedule = schedule;
        this.length = schedule == null ? endpoints.length : schedule.length;
        this.positions = positions;
        this.stripeMask = stripeMask;
        this.ramp = ramp;
    }

    @Override
    public Endpoint pick(PickRequest request) {
        int slot = RoundRobin.slot((int) Thread.currentThread().getId() & stripeMask);
        int index = next(slot);
        Ramp.Factors factors = ramp == null ? null : ramp.factors();
        if (factors == null || factors.slowed == null) {
            return endpoints[index];
        }
        // A warm endpoint takes every turn and one is always in the walk, so a schedule's length bounds the loop.
        for (int turns = 1; turns < length && !factors.takesTurn(index); turns++) {
            index = next(slot);
        }
        return endpoints[index];
    }

    private int next(int slot) {
        int position = positions[slot];
        // The position may be past the end after the endpoints shrank; the remainder keeps its place.
        int at = position < length ? position : position % length;
        positions[slot] = at + 1 == length ? 0 : at + 1;
        return schedule == null ? at : schedule[at];
    }

    @Override
    public String toString() {
        return "round-robin over " + endpoints.length + " endpoints" + (schedule == null ? "" : ", weighted")
                + (ramp == null ? "" : ", " + ramp);
    }
}
