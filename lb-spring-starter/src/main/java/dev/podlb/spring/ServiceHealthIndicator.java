package dev.podlb.spring;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.Readiness;
import dev.podlb.core.pick.EndpointStats;
import java.util.StringJoiner;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * One service's health: DOWN with the reason when no pod can be picked, or when the latest call
 * to every pickable pod failed (ejection keeps some pods in rotation whatever they answer, so the
 * counts alone would say UP while every call fails); UP otherwise, and again as soon as a call to
 * a pickable pod succeeds. Panic mode (too few healthy pods, so ejected ones are picked too) is UP
 * with the reason. Details: the counts, routing and last resolution error of
 * {@link PodlbEndpoint#details}. Called on the thread that asks for health; reads the load
 * balancer's status and its pods' live figures, which take no lock.
 */
final class ServiceHealthIndicator implements HealthIndicator {
    private final LoadBalancer lb;

    ServiceHealthIndicator(LoadBalancer lb) {
        this.lb = lb;
    }

    @Override
    public Health health() {
        LoadBalancer.Status status = lb.status();
        String failing = status.pickable() > 0 ? failing(lb, status) : null;
        Health.Builder health = status.pickable() > 0 && failing == null ? Health.up() : Health.down();
        health.withDetail("target", status.resolver());
        String reason = failing != null ? failing : reason(status);
        if (reason != null) {
            health.withDetail("reason", reason);
        }
        return health.withDetails(PodlbEndpoint.details(status)).build();
    }

    /**
     * Why the service is failing although pods can be picked: the latest call to each of them
     * failed. {@code null} while a pickable pod's latest call succeeded or it has had none.
     */
    static String failing(LoadBalancer lb, LoadBalancer.Status status) {
        Readiness candidate = status.ready() > 0 ? Readiness.READY : Readiness.TERMINATING;
        StringJoiner pods = new StringJoiner(", ");
        for (Endpoint pod : lb.endpoints().endpoints()) {
            if (pod.readiness() != candidate || (!status.panic() && lb.isEjected(pod))) {
                continue;
            }
            EndpointStats stats = lb.stats(pod);
            if (stats == null || stats.consecutiveFailures() == 0) {
                return null;
            }
            pods.add(pod.authority() + " " + stats.consecutiveFailures());
        }
        return pods.length() == 0 ? null : "failing: the latest call to every pickable pod failed (failures in a row: "
                + pods + "); " + status.ejected() + " ejected";
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
