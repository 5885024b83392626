package dev.podlb.core;

import java.time.Duration;

/**
 * Hears what happens inside a {@link LoadBalancer}, for logging and metrics. Every method has an
 * empty default; implement those you need.
 *
 * <p>Called from the load balancer's serial context: one call at a time per load balancer, in the
 * order its state changed, after the change is in effect (a call that hears of an ejection finds
 * it in {@code status()}), on a podlb thread shared with other load balancers (with a
 * {@code ManualScheduler}, the thread that caused the change). It must not block; an exception it
 * throws is logged and ignored. Nothing is called after the load balancer is closed.
 */
public interface LoadBalancerListener {
    /**
     * Discovery resolved the service: {@code changed} when it found a new set (applied then, or with
     * the next batch), else the same one again (a DNS refresh, an informer resync).
     */
    default void resolved(String service, boolean changed) {}

    /** A changed set is in use now; sets arriving close together are applied, and told, once. */
    default void endpointsChanged(String service, EndpointSet set) {}

    /** Discovery failed; the last set stays in use. */
    default void resolutionFailed(String service, Throwable error) {}

    /** An endpoint failed and leaves rotation for {@code duration}. */
    default void ejected(String service, Endpoint endpoint, Duration duration) {}

    /** An ejection ended; the endpoint is picked again, on trial. */
    default void readmitted(String service, Endpoint endpoint) {}

    /** An endpoint's trial call succeeded; it is healthy again. */
    default void recovered(String service, Endpoint endpoint) {}

    /** Too few candidates are healthy, so ejected endpoints are picked too ({@code true}), or that ended. */
    default void panicChanged(String service, boolean panic) {}
}
