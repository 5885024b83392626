package dev.podlb.core;

/**
 * Whether an endpoint may take calls, after the conditions of a Kubernetes EndpointSlice.
 * Only {@link #READY} endpoints are picked while any exist; {@link #TERMINATING} ones are used only
 * when a service has no ready endpoint left, as the EndpointSlice guidance asks of proxies.
 */
public enum Readiness {
    /** Ready (condition {@code ready=true}, terminating or not, as kube-proxy reads it): takes calls. */
    READY,
    /** Shutting down, not ready but still serving (conditions {@code ready=false, serving=true, terminating=true}). */
    TERMINATING,
    /** Neither ready nor serving: never picked. */
    NOT_READY
}
