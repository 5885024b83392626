package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import java.net.InetSocketAddress;

/** A balanced service at run time: its settings, its load balancer and what is left of its retry budget. */
record Balanced(BalancedService service, LoadBalancer lb, RetryAllowance retries) {
    static Balanced open(BalancedService service, LoadBalancer lb) {
        return new Balanced(service, lb, RetryAllowance.of(service.retryBudget, service.scheduler));
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
