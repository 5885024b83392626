package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.NoEndpointException;
import java.util.List;

/**
 * Serves pinned requests from the named pod, and every other request from the delegate picker.
 * A pin is matched against the discovered set only: an address discovery did not return is never
 * contacted, whatever a request names.
 */
final class Pinning implements Picker.Factory {
    private final Picker.Factory delegate;
    private final WhenPinUnavailable whenUnavailable;

    Pinning(Picker.Factory delegate, WhenPinUnavailable whenUnavailable) {
        this.delegate = delegate;
        this.whenUnavailable = whenUnavailable;
    }

    @Override
    public Picker newPicker(PickableEndpoints pickable) {
        Picker normal = delegate.newPicker(pickable);
        return request -> {
            String pin = request.pin();
            return pin == null ? normal.pick(request) : pickPinned(pin, pickable, normal, request);
        };
    }

    private Endpoint pickPinned(String pin, PickableEndpoints pickable, Picker normal, PickRequest request) {
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
                + "\" of service " + pickable.service() + " is " + pickable.whyNotPickable(named.get(0)));
    }

    @Override
    public String toString() {
        return delegate + " with pinning (" + whenUnavailable + " when the pod is unavailable)";
    }
}
