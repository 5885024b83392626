package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.NoEndpointException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Pickable endpoints a test lays out by hand: which are pickable, which ejected, and each one's figures. */
final class FakePickable implements PickableEndpoints {
    private final EndpointSet set;
    private final List<Endpoint> endpoints;
    private final Set<InetSocketAddress> ejected;
    private final Function<InetSocketAddress, ? extends EndpointStats> stats;
    private final Map<InetSocketAddress, Endpoint> byAddress = new HashMap<>();

    /** @param stats each endpoint's figures; {@code null} from it for an endpoint the test gave none */
    FakePickable(EndpointSet set, List<Endpoint> endpoints, Set<InetSocketAddress> ejected,
                 Function<InetSocketAddress, ? extends EndpointStats> stats) {
        this.set = set;
        this.endpoints = List.copyOf(endpoints);
        this.ejected = Set.copyOf(ejected);
        this.stats = stats;
        for (Endpoint e : endpoints) {
            byAddress.put(e.socketAddress(), e);
        }
    }

    @Override
    public String service() {
        return "backend";
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
        return byAddress.get(socketAddress);
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
        return false;
    }

    @Override
    public EndpointStats stats(Endpoint endpoint) {
        EndpointStats live = stats.apply(endpoint.socketAddress());
        if (live == null) {
            throw new IllegalArgumentException("the test gave " + endpoint + " no figures");
        }
        return live;
    }

    @Override
    public long inFlight() {
        long sum = 0;
        for (Endpoint e : endpoints) {
            EndpointStats live = stats.apply(e.socketAddress());
            sum += live == null ? 0 : live.inFlight();
        }
        return sum;
    }

    @Override
    public NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message) {
        return new NoEndpointException("backend", reason, message, set.size(), set.readyCount(), ejected.size(), null);
    }
}
