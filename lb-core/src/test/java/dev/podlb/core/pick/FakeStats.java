package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Live figures a test sets by hand, and the pickable endpoints that hand them to a picker. */
final class FakeStats implements EndpointStats {
    int inFlight;
    long latencyNanos;
    long latencyUpdatedNanos;
    int consecutiveFailures;

    @Override
    public int inFlight() {
        return inFlight;
    }

    @Override
    public long latencyNanos() {
        return latencyNanos;
    }

    @Override
    public long latencyUpdatedNanos() {
        return latencyUpdatedNanos;
    }

    @Override
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Every endpoint pickable, each with a {@link FakeStats} of its own in {@code stats}. */
    static PickableEndpoints pickable(List<Endpoint> endpoints, Map<Endpoint, FakeStats> stats) {
        Map<InetSocketAddress, FakeStats> byAddress = new HashMap<>();
        for (Endpoint e : endpoints) {
            byAddress.put(e.socketAddress(), stats.computeIfAbsent(e, x -> new FakeStats()));
        }
        return new FakePickable(EndpointSet.of(1, endpoints), endpoints, Set.of(), byAddress::get);
    }
}
