package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.time.Scheduler;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * One load balancer's memory of when each pod became ready, for {@link SlowStart}: kept by its
 * picker instance and called, as the instance is, only on the load balancer's serial context.
 * A pod is remembered while it is in the discovered set, ready or not, ejected or not, so a pod
 * that comes back from an ejection or a readiness blip is not new; one that leaves the set and
 * returns is.
 */
final class WarmUp {
    private final SlowStart settings;
    private final Scheduler clock;
    private final Map<InetSocketAddress, Long> readySince = new HashMap<>();

    WarmUp(SlowStart settings, Scheduler clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Notes the pods of {@code pickable} seen for the first time, and returns the ramp of a picker
     * over {@code endpoints} (a subset of them, in the picker's order), or {@code null} when none
     * of those is warming up.
     */
    Ramp ramp(PickableEndpoints pickable, Endpoint[] endpoints) {
        long now = clock.nanoTime();
        long windowNanos = settings.window().toNanos();
        readySince.keySet().removeIf(address -> pickable.set().find(address) == null);
        boolean anyWarm = false;
        for (Endpoint e : pickable.endpoints()) {
            Long since = readySince.get(e.socketAddress());
            anyWarm |= since != null && (since == Ramp.WARM || now - since >= windowNanos);
        }
        // With no warm pod to carry the traffic (the first set, every pod replaced), newcomers are not slowed.
        long newcomers = anyWarm ? now : Ramp.WARM;
        for (Endpoint e : pickable.endpoints()) {
            readySince.putIfAbsent(e.socketAddress(), newcomers);
        }
        long[] since = new long[endpoints.length];
        boolean anyWarming = false;
        for (int i = 0; i < endpoints.length; i++) {
            since[i] = readySince.get(endpoints[i].socketAddress());
            anyWarming |= since[i] != Ramp.WARM && now - since[i] < windowNanos;
        }
        return anyWarming ? new Ramp(settings, clock, since) : null;
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
