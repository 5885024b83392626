package dev.podlb.core.pick;

/**
 * What a load balancer knows, live, of one endpoint's load: updated without locks by every
 * attempt that starts and ends on it ({@link dev.podlb.core.LoadBalancer#start}), and read by
 * pickers at pick time. A picker holds these from {@link PickableEndpoints#stats}; the object of
 * one pod stays the same across pickers while the pod is in the set. Implemented by podlb.
 *
 * <p>Requests in flight and failures in a row are always kept. The latency average costs every
 * attempt two clock reads, so it is kept only when the load balancer's picker reads it
 * ({@link LiveFigure#LATENCY}: latency-aware least-request, pickers of the application's) or the
 * application asked for it ({@link dev.podlb.core.LoadBalancerBuilder#recordLatency()}); otherwise
 * both latency figures stay 0.
 */
public interface EndpointStats {
    /** Attempts started on the endpoint and not yet ended. */
    int inFlight();

    /**
     * Its attempts' durations in nanoseconds as a Peak-EWMA (as Linkerd and Finagle keep it): a
     * duration above the average replaces it at once, one below is averaged in with a weight that
     * falls by e over 10 s. 0 before its first attempt ended, and always 0 when the load balancer
     * keeps no latency ({@link LiveFigure#LATENCY}).
     */
    long latencyNanos();

    /**
     * When {@link #latencyNanos()} last took a sample, on the load balancer's clock
     * ({@link PickerContext#scheduler()}'s {@code nanoTime()}). A picker compares two pods'
     * figures decayed to the same moment from these, without reading the clock on every pick.
     * 0 while {@link #latencyNanos()} is.
     */
    long latencyUpdatedNanos();

    /** Failures in a row in its latest outcomes, as its ejection policy classifies them. */
    int consecutiveFailures();
}
