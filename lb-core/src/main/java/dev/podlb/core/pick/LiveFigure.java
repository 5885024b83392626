package dev.podlb.core.pick;

import dev.podlb.core.LoadBalancerBuilder;

/**
 * A live figure a load balancer keeps only when something reads it, because keeping it costs
 * every attempt: a picker policy declares the ones its pickers read ({@link PickerPolicy#reads()}),
 * and an application that reads latency itself asks for it
 * ({@link LoadBalancerBuilder#recordLatency()}). Requests in flight per endpoint and failures in a
 * row are always kept: least-request, outlier ejection and operators use them. What is kept is
 * settled when the load balancer is built.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder("backend").target("static:///10.0.0.1:8080")
 *         .picker(Pickers.roundRobin())     // reads no live figure: attempts read no clock
 *         .recordLatency()                  // but the application reads lb.stats(pod).latencyNanos()
 *         .build();
 * }</pre>
 */
public enum LiveFigure {
    /**
     * Each endpoint's latency average and when it last took a sample
     * ({@link EndpointStats#latencyNanos()}, {@link EndpointStats#latencyUpdatedNanos()}): two
     * clock reads per attempt. Not kept, both are 0.
     */
    LATENCY,
    /**
     * Requests in flight over the whole load balancer ({@link PickableEndpoints#inFlight()}): a
     * counter shared by every attempt. Not kept, it is summed over the pods when asked, a pass
     * over every pod rather than one read.
     */
    TOTAL_IN_FLIGHT
}
