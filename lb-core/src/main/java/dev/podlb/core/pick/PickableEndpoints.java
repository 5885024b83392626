package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.Readiness;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link Picker.Factory} builds from: the endpoints that may be picked now, and the whole
 * discovered set they came from. Pickable means ready (or, when no endpoint is ready, terminating
 * but serving) and not ejected; in panic mode, when every such endpoint is ejected, the ejected
 * ones are pickable again so the service is never left with nothing to try.
 */
public final class PickableEndpoints {
    private final String service;
    private final EndpointSet set;
    private final List<Endpoint> endpoints;
    private final Set<InetSocketAddress> ejected;
    private final boolean panic;
    private final Map<InetSocketAddress, Endpoint> byAddress;

    /**
     * @param endpoints the pickable endpoints, a non-empty subset of {@code set} in its order
     * @param ejected   the addresses of the set's endpoints that are ejected now
     * @param panic     whether every candidate was ejected and {@code endpoints} are ejected ones
     */
    public PickableEndpoints(String service, EndpointSet set, List<Endpoint> endpoints,
                             Set<InetSocketAddress> ejected, boolean panic) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no pickable endpoint for service " + service
                    + "; a picker is only built over at least one");
        }
        this.service = service;
        this.set = set;
        this.endpoints = List.copyOf(endpoints);
        this.ejected = Set.copyOf(ejected);
        this.panic = panic;
        this.byAddress = new HashMap<>(endpoints.size() * 2);
        for (Endpoint e : this.endpoints) {
            byAddress.put(e.socketAddress(), e);
        }
    }

    public String service() {
        return service;
    }

    /** Everything discovery returned, pickable or not. */
    public EndpointSet set() {
        return set;
    }

    /** The endpoints that may be picked, in the set's order (by address, then port). Never empty. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The pickable endpoint at this address and port, or {@code null}. */
    public Endpoint pickable(InetSocketAddress socketAddress) {
        return byAddress.get(socketAddress);
    }

    /** Whether the endpoint at this address and port is ejected now. */
    public boolean isEjected(InetSocketAddress socketAddress) {
        return ejected.contains(socketAddress);
    }

    /** How many of the set's endpoints are ejected. */
    public int ejectedCount() {
        return ejected.size();
    }

    /** Whether every candidate was ejected, so ejected endpoints are being picked. */
    public boolean panic() {
        return panic;
    }

    /** An exception for this service, carrying its counts, with {@code message} first. */
    public NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message) {
        return new NoEndpointException(service, reason, message, set.size(), set.readyCount(), ejected.size(), null);
    }

    /** Why a known endpoint is not pickable: {@code "ejected"}, {@code "not ready"}... */
    String whyNotPickable(Endpoint endpoint) {
        if (isEjected(endpoint.socketAddress())) {
            return "ejected";
        }
        if (endpoint.readiness() == Readiness.NOT_READY) {
            return "not ready";
        }
        return endpoint.readiness() == Readiness.TERMINATING ? "terminating" : "not pickable";
    }

    @Override
    public String toString() {
        return "PickableEndpoints{service=" + service + ", " + endpoints.size() + " pickable of " + set.size()
                + ", " + ejected.size() + " ejected" + (panic ? ", PANIC" : "") + "}";
    }
}
