package dev.podlb.core.pick;

/**
 * What a load balancer knows, live, of one endpoint's load: updated without locks by every
 * attempt that starts and ends on it ({@link dev.podlb.core.LoadBalancer#start}), and read by
 * pickers at pick time. A picker holds these from {@link PickableEndpoints#stats}; the object of
 * one pod stays the same across pickers while the pod is in the set. Implemented by podlb.
 */
public interface EndpointStats {
    /** Attempts started on the endpoint and not yet ended. */
    int inFlight();

    /** A decaying average of its attempts' durations in nanoseconds; 0 before its first attempt ended. */
    long latencyNanos();

    /** Failures in a row in its latest outcomes, as its ejection policy classifies them. */
    int consecutiveFailures();
}
