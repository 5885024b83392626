package dev.podlb.core;

/**
 * Whether an endpoint may take calls, after the conditions of a Kubernetes EndpointSlice.
 * Only {@link #READY} endpoints are picked while any exist; {@link #TERMINATING} ones are used only
 * when a service has no ready endpoint left, as the EndpointSlice guidance asks of proxies.
 */
public enum Readiness {
    /** Ready: takes calls. */
    READY,
    /** Shutting down but still serving (condition {@code serving=true, terminating=true}). */
    TERMINATING,
    /** Neither ready nor serving: never picked. */
    NOT_READY
}
