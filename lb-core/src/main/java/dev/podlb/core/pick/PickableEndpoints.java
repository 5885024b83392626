package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.NoEndpointException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What a {@link PickerInstance} builds a picker from: the endpoints that may be picked now, and the
 * whole discovered set they came from. Pickable means ready (or, when no endpoint is ready,
 * terminating but serving) and not ejected; in panic mode, when too few of those are healthy, the
 * ejected ones are pickable too, so the service is never left with nothing to try. Immutable.
 */
public interface PickableEndpoints {
    /**
     * Every candidate of {@code set} ({@link EndpointSet#candidates()}) pickable, none ejected, none
     * loaded: for tests of a picker, and for a picker used outside a load balancer.
     *
     * @throws IllegalArgumentException when {@code set} has no candidate
     */
    static PickableEndpoints of(String service, EndpointSet set) {
        return new AllCandidates(service, set);
    }

    String service();

    /** Everything discovery returned, pickable or not. */
    EndpointSet set();

    /** The endpoints that may be picked, in the set's order (by address, then port). Never empty. */
    List<Endpoint> endpoints();

    /** The pickable endpoint at this address and port, or {@code null}. */
    Endpoint pickable(InetSocketAddress socketAddress);

    /** Whether the endpoint at this address and port is ejected now. */
    boolean isEjected(InetSocketAddress socketAddress);

    /** How many of the set's endpoints are ejected. */
    int ejectedCount();

    /** Whether too few endpoints were healthy, so that ejected ones are being picked too. */
    boolean panic();

    /** The live load figures of a pickable endpoint; the same object for as long as the pod stays in the set. */
    EndpointStats stats(Endpoint endpoint);

    /**
     * Requests in flight now over every endpoint of the load balancer, live (a bounded-load
     * picker's mean): one read when the policy declares {@link LiveFigure#TOTAL_IN_FLIGHT}, else
     * summed over the endpoints on each call.
     */
    long inFlight();

    /** An exception for this service, carrying its counts, with {@code message} first. */
    NoEndpointException noEndpoint(NoEndpointException.Reason reason, String message);
}
