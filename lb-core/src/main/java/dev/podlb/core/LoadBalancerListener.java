package dev.podlb.core;

import java.time.Duration;

/**
 * Hears what happens inside a {@link LoadBalancer}, for logging and metrics. Every method has an
 * empty default; implement those you need. Called on the thread that caused the change; must not
 * block, and an exception it throws is logged and ignored.
 */
public interface LoadBalancerListener {
    /** Discovery delivered a changed set. */
    default void endpointsChanged(String service, EndpointSet set) {}

    /** Discovery failed; the last set stays in use. */
    default void resolutionFailed(String service, Throwable error) {}

    /** An endpoint failed and leaves rotation for {@code duration}. */
    default void ejected(String service, Endpoint endpoint, Duration duration) {}

    /** An ejection ended; the endpoint is picked again, on trial. */
    default void readmitted(String service, Endpoint endpoint) {}

    /** An endpoint's trial call succeeded; it is healthy again. */
    default void recovered(String service, Endpoint endpoint) {}

    /** Every candidate is ejected, so ejected endpoints are picked ({@code true}), or that ended. */
    default void panicChanged(String service, boolean panic) {}
}
