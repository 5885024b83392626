package dev.podlb.core;

import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.WhenPinUnavailable;
import java.util.List;

/**
 * Serves requests pinned to a pod ({@link PickRequest#pin()}). A pin is matched against the
 * discovered set only: an address discovery did not return is never contacted, whatever a request
 * names. A load balancer applies this before its picker, so a pin is honoured, or refused with a
 * reason, whichever picker the service uses.
 */
final class Pinning {
    private final WhenPinUnavailable whenUnavailable;
    /** Whether a request was ever pinned: from then on each set's pod-name index is built off the request path. */
    private volatile boolean used;

    public Pinning(WhenPinUnavailable whenUnavailable) {
        this.whenUnavailable = whenUnavailable;
    }

    /**
     * The pickable endpoint {@code request}'s pin names; when there is none, {@code normal}'s pick
     * or a {@link NoEndpointException}, as configured.
     */
    public Endpoint pick(PickRequest request, PickableEndpoints pickable, Picker normal) {
        String pin = request.pin();
        if (!used) {
            used = true;
        }
        List<Endpoint> named = pickable.set().lookup(pin);
        for (Endpoint e : named) {
            Endpoint endpoint = pickable.pickable(e.socketAddress());
            if (endpoint != null) {
                return endpoint;
            }
        }
        if (whenUnavailable == WhenPinUnavailable.USE_ANY) {
            return normal.pick(request);
        }
        if (named.isEmpty()) {
            throw pickable.noEndpoint(NoEndpointException.Reason.PINNED_NOT_FOUND, "pinned pod \"" + pin
                    + "\" is not an endpoint of service " + pickable.service()
                    + "; expected a pod name, address:port or address that discovery returned");
        }
        throw pickable.noEndpoint(NoEndpointException.Reason.PINNED_UNAVAILABLE, "pinned pod \"" + pin
                + "\" of service " + pickable.service() + " is " + whyNotPickable(pickable, named.get(0)));
    }

    /** Whether a request was ever pinned on this load balancer. */
    boolean used() {
        return used;
    }

    /** Why a known endpoint is not pickable: {@code "ejected"}, {@code "not ready"}... */
    private static String whyNotPickable(PickableEndpoints pickable, Endpoint endpoint) {
        if (pickable.isEjected(endpoint.socketAddress())) {
            return "ejected";
        }
        if (!pickable.set().isCandidate(endpoint.socketAddress())) {
            return endpoint.readiness() == Readiness.NOT_READY ? "not ready" : "terminating";
        }
        return "not pickable";
    }

    @Override
    public String toString() {
        return "pinning (" + whenUnavailable + " when the pod is unavailable)";
    }
}
