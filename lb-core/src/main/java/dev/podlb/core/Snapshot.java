package dev.podlb.core;

import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Picker;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * What picks read: the set, the health view and the picker built from them, as one immutable
 * value that the serial context replaces as a whole on every change. Every method runs on any
 * thread, takes no lock and reads only this value (and the pods' live figures its picker holds).
 */
final class Snapshot {
    final String service;
    final EndpointSet set;
    final boolean resolved;
    final Picker picker;
    /** {@code null} when nothing can be picked: the picker then says why. */
    final PickableView pickable;
    /** Ready endpoints (terminating ones when none is ready), ejected or not. */
    final List<Endpoint> candidates;
    /** The candidates not ejected. */
    final int healthy;
    final int ejected;
    final boolean panic;
    /** {@code null} before the first state with candidates. */
    final Routing routing;
    private final Pinning pinning;
    /** The picker instance, named when it returns nothing. */
    private final Object pickers;

    Snapshot(String service, EndpointSet set, boolean resolved, Picker picker, PickableView pickable,
             List<Endpoint> candidates, int healthy, int ejected, boolean panic, Routing routing, Pinning pinning,
             Object pickers) {
        this.service = service;
        this.set = set;
        this.resolved = resolved;
        this.picker = picker;
        this.pickable = pickable;
        this.candidates = candidates;
        this.healthy = healthy;
        this.ejected = ejected;
        this.panic = panic;
        this.routing = routing;
        this.pinning = pinning;
        this.pickers = pickers;
    }

    /** A snapshot whose every pick fails with {@code reason}, adding discovery's last error when there is one. */
    static Snapshot failing(String service, EndpointSet set, int ejected, NoEndpointException.Reason reason,
                            String message, Supplier<Throwable> lastError) {
        Picker fails = request -> {
            Throwable error = lastError.get();
            throw new NoEndpointException(service, reason, message + (error == null ? "" : " (last error: "
                    + error.getMessage() + ")"), set.size(), set.readyCount(), ejected, error);
        };
        return new Snapshot(service, set, true, fails, null, List.of(), 0, ejected, false, null, null, null);
    }

    /** Before discovery's first set. */
    static Snapshot unresolved(String service, String target, Supplier<Throwable> lastError) {
        Picker fails = request -> {
            Throwable error = lastError.get();
            throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED,
                    "no endpoint for service " + service + " yet: " + target + " has not resolved"
                            + (error == null ? "" : " (last error: " + error + ")"), 0, 0, 0, error);
        };
        return new Snapshot(service, EndpointSet.empty(), false, fails, null, List.of(), 0, 0, false, null, null, null);
    }

    /** After close: every pick fails. */
    static Snapshot closed(String service) {
        Picker fails = request -> {
            throw closedException(service);
        };
        return new Snapshot(service, EndpointSet.empty(), false, fails, null, List.of(), 0, 0, false, null, null, null);
    }

    static NoEndpointException closedException(String service) {
        return new NoEndpointException(service, NoEndpointException.Reason.CLOSED, "load balancer for service "
                + service + " is closed", 0, 0, 0, null);
    }

    /** Endpoints a pick can return now. */
    int pickableCount() {
        return pickable == null ? 0 : pickable.endpoints().size();
    }

    /** The endpoint for {@code request}: its pinned pod, or the picker's choice. */
    Endpoint pick(PickRequest request) {
        Endpoint endpoint;
        if (request.pin() == null) {
            endpoint = picker.pick(request);
        } else {
            // A failing snapshot (nothing resolved, nothing ready) has no pickable view: its picker says why.
            endpoint = pickable == null ? picker.pick(request) : pinning.pick(request, pickable, picker);
        }
        return endpoint != null ? endpoint : pickerReturnedNothing();
    }

    /** Kept out of {@link #pick} so that the hot path stays small enough to inline. */
    private Endpoint pickerReturnedNothing() {
        throw noEndpoint(NoEndpointException.Reason.PICKER_FAILED,
                "picker " + pickers + " of service " + service + " returned no endpoint");
    }

    /** As {@link LoadBalancer#pickAvoiding}, which documents the rule. */
    Endpoint pickAvoiding(PickRequest request, Set<InetSocketAddress> avoid) {
        Endpoint chosen = pick(request);
        if (request.pin() != null || avoid.isEmpty() || !avoid.contains(chosen.socketAddress()) || pickable == null) {
            return chosen;
        }
        int from = ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE);
        Endpoint other = null;
        if (routing != null && routing.rule() != Routing.Rule.CLUSTER) {
            other = firstNotIn(routing.local(), avoid, from);
            if (other == null) {
                other = firstNotIn(routing.near(), avoid, from);
            }
        }
        if (other == null) {
            other = firstNotIn(pickable.endpoints(), avoid, from);
        }
        if (other == null) {
            other = firstNotIn(candidates, avoid, from);
        }
        return other != null ? other : chosen;
    }

    private static Endpoint firstNotIn(List<Endpoint> endpoints, Set<InetSocketAddress> avoid, int from) {
        int n = endpoints.size();
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints.get((int) (((long) from + i) % n));
            if (!avoid.contains(e.socketAddress())) {
                return e;
            }
        }
        return null;
    }

    boolean isEjected(Endpoint endpoint) {
        return pickable != null && pickable.isEjected(endpoint.socketAddress());
    }

    NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message) {
        return pickable != null ? pickable.noEndpoint(reason, message)
                : new NoEndpointException(service, reason, message, set.size(), set.readyCount(), ejected, null);
    }

    @Override
    public String toString() {
        return "Snapshot{" + service + " " + set + ", " + pickableCount() + " pickable, " + ejected + " ejected"
                + (panic ? ", PANIC" : "") + (routing == null ? "" : ", routing " + routing.describe()) + "}";
    }
}
