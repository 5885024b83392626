package dev.podlb.spring;

import dev.podlb.core.LoadBalancer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * One service's health: UP while a pod can be picked, DOWN with the reason when none can; panic
 * mode (too few healthy pods, so ejected ones are picked too) is UP with the reason. Details: the
 * counts, routing and last resolution error of {@link PodlbEndpoint#details}. Called on the thread
 * that asks for health; reads the load balancer's status, which takes no lock.
 */
final class ServiceHealthIndicator implements HealthIndicator {
    private final LoadBalancer lb;

    ServiceHealthIndicator(LoadBalancer lb) {
        this.lb = lb;
    }

    @Override
    public Health health() {
        LoadBalancer.Status status = lb.status();
        Health.Builder health = status.pickable() > 0 ? Health.up() : Health.down();
        health.withDetail("target", status.resolver());
        String reason = reason(status);
        if (reason != null) {
            health.withDetail("reason", reason);
        }
        return health.withDetails(PodlbEndpoint.details(status)).build();
    }

    /** Why no pod can be picked, or why calls go to ejected pods too; {@code null} when neither is so. */
    static String reason(LoadBalancer.Status status) {
        if (status.pickable() > 0) {
            return status.panic() ? "panic mode: too few of the " + status.pickable() + " candidate pods are healthy ("
                    + status.ejected() + " ejected), so calls go to every one of them, ejected ones included" : null;
        }
        // The last resolution error, when there is one, is a detail of its own.
        if (status.closed()) {
            return "the load balancer is closed";
        }
        if (!status.resolved()) {
            return "not resolved yet: " + status.resolver() + " has delivered no endpoints";
        }
        if (status.known() == 0) {
            return "no pod: " + status.resolver() + " discovered no endpoint";
        }
        return "no pod: none of the " + status.known() + " endpoints discovered is ready";
    }
}
