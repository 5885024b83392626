package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import java.net.InetSocketAddress;

/**
 * A balanced service at run time: its settings, its load balancer, what is left of its retry
 * budget, when it hedges, its hedging delay ({@code null} otherwise), and the interceptor's pods'
 * connections, which its attempts tell of the connections they release.
 */
record Balanced(BalancedService service, LoadBalancer lb, RetryAllowance retries, HedgeDelay hedgeDelay,
                PodConnections connections) {
    static Balanced open(BalancedService service, LoadBalancer lb, PodConnections connections) {
        return new Balanced(service, lb, RetryAllowance.of(service.retryBudget, service.scheduler),
                service.hedging != null ? new HedgeDelay(service.hedging) : null, connections);
    }

    String name() {
        return service.name;
    }

    /** The endpoint at {@code address} in the current set, or a bare one when the set no longer holds it. */
    Endpoint endpointAt(InetSocketAddress address) {
        Endpoint known = lb.endpoints().find(address);
        return known != null ? known : Endpoint.of(address.getAddress(), address.getPort());
    }

    /** Whether {@code pod} is still in the set and not ejected. */
    boolean pickable(Endpoint pod) {
        return lb.endpoints().find(pod.socketAddress()) != null && !lb.isEjected(pod);
    }

    /** Closes the load balancer when the interceptor built it; one the application gave stays open. */
    void close() {
        if (service.givenLoadBalancer == null) {
            lb.close();
        }
    }
}
