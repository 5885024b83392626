package dev.podlb.core;

import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.pick.PickableEndpoints;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;

/** The {@link PickableEndpoints} a load balancer builds each picker from. Immutable but for the live stats it hands out. */
final class PickableView implements PickableEndpoints {
    private final String service;
    private final EndpointSet set;
    private final List<Endpoint> endpoints;
    private final Set<InetSocketAddress> ejected;
    private final boolean panic;
    /** The pickable endpoints by address; {@code null} when they are the set's candidates, found through the set. */
    private final Map<InetSocketAddress, Endpoint> byAddress;
    private final Function<InetSocketAddress, ? extends EndpointStats> stats;
    private final LongSupplier inFlight;

    /**
     * @param endpoints the pickable endpoints, a non-empty subset of {@code set} in its order
     * @param ejected   the addresses of the set's endpoints that are ejected now
     * @param panic     whether too few candidates were healthy, so {@code endpoints} include ejected ones
     * @param stats     the live stats of each endpoint of the set
     * @param inFlight  the requests in flight over the whole load balancer, live
     */
    PickableView(String service, EndpointSet set, List<Endpoint> endpoints, Set<InetSocketAddress> ejected,
                 boolean panic, Function<InetSocketAddress, ? extends EndpointStats> stats, LongSupplier inFlight) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no pickable endpoint for service " + service
                    + "; a picker is only built over at least one");
        }
        this.service = service;
        this.set = set;
        boolean allCandidates = endpoints == set.candidates();
        this.endpoints = allCandidates ? set.candidates() : List.copyOf(endpoints);
        this.ejected = Set.copyOf(ejected);
        this.panic = panic;
        this.stats = stats;
        this.inFlight = inFlight;
        if (allCandidates) {
            this.byAddress = null; // the set's own index serves: a large set is not indexed twice per update
        } else {
            this.byAddress = new HashMap<>(endpoints.size() * 2);
            for (Endpoint e : this.endpoints) {
                byAddress.put(e.socketAddress(), e);
            }
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
        return endpoints;
    }

    @Override
    public Endpoint pickable(InetSocketAddress socketAddress) {
        return byAddress != null ? byAddress.get(socketAddress) : set.candidate(socketAddress);
    }

    @Override
    public boolean isEjected(InetSocketAddress socketAddress) {
        return ejected.contains(socketAddress);
    }

    @Override
    public int ejectedCount() {
        return ejected.size();
    }

    @Override
    public boolean panic() {
        return panic;
    }

    @Override
    public EndpointStats stats(Endpoint endpoint) {
        EndpointStats live = stats.apply(endpoint.socketAddress());
        if (live == null) {
            throw new IllegalArgumentException(endpoint + " is not an endpoint of service " + service
                    + "; expected one of its pickable endpoints");
        }
        return live;
    }

    @Override
    public long inFlight() {
        return inFlight.getAsLong();
    }

    @Override
    public NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message) {
        return new NoEndpointException(service, reason, message, set.size(), set.readyCount(), ejected.size(), null);
    }

    @Override
    public String toString() {
        return "PickableEndpoints{service=" + service + ", " + endpoints.size() + " pickable of " + set.size()
                + ", " + ejected.size() + " ejected" + (panic ? ", PANIC" : "") + "}";
    }
}
