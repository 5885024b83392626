package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.NoEndpointException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link PickableEndpoints#of} hands a picker used outside a load balancer: every candidate
 * of the set pickable, none ejected, and no load on any (nothing outside a load balancer starts
 * attempts). Immutable.
 */
final class AllCandidates implements PickableEndpoints {
    /** The figures of an endpoint no attempt has reached. */
    private static final EndpointStats IDLE = new EndpointStats() {
        @Override
        public int inFlight() {
            return 0;
        }

        @Override
        public long latencyNanos() {
            return 0;
        }

        @Override
        public long latencyUpdatedNanos() {
            return 0;
        }

        @Override
        public int consecutiveFailures() {
            return 0;
        }

        @Override
        public String toString() {
            return "idle";
        }
    };

    private final String service;
    private final EndpointSet set;
    private final Map<InetSocketAddress, Endpoint> byAddress;

    AllCandidates(String service, EndpointSet set) {
        if (set.candidates().isEmpty()) {
            throw new IllegalArgumentException("no pickable endpoint for service " + service + " in " + set
                    + "; a picker is only built over at least one ready (or, with none ready, terminating) endpoint");
        }
        this.service = service;
        this.set = set;
        this.byAddress = new HashMap<>(set.candidates().size() * 2);
        for (Endpoint e : set.candidates()) {
            byAddress.put(e.socketAddress(), e);
        }
    }

    @Override
    public String service() {
        return service;
    }

    @Override
    public EndpointSet set() {
        return set;
    }

    @Override
    public List<Endpoint> endpoints() {
        return set.candidates();
    }

    @Override
    public Endpoint pickable(InetSocketAddress socketAddress) {
        return byAddress.get(socketAddress);
    }

    @Override
    public boolean isEjected(InetSocketAddress socketAddress) {
        return false;
    }

    @Override
    public int ejectedCount() {
        return 0;
    }

    @Override
    public boolean panic() {
        return false;
    }

    @Override
    public EndpointStats stats(Endpoint endpoint) {
        if (set.find(endpoint.socketAddress()) == null) {
            throw new IllegalArgumentException(endpoint + " is not an endpoint of service " + service
                    + "; expected one of its pickable endpoints");
        }
        return IDLE;
    }

    @Override
    public long inFlight() {
        return 0;
    }

    @Override
    public NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message) {
        return new NoEndpointException(service, reason, message, set.size(), set.readyCount(), 0, null);
    }

    @Override
    public String toString() {
        return "PickableEndpoints{service=" + service + ", " + byAddress.size() + " pickable of " + set.size() + "}";
    }
}
