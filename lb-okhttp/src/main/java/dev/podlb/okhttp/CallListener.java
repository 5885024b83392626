package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.health.Outcome;
import okhttp3.Request;

/**
 * Hears what the interceptor does with each call — picks, outcomes, retries — and, as a
 * {@link LoadBalancerListener}, what its load balancers do: endpoints resolved, pods ejected,
 * readmitted and recovered. For logs and metrics; methods must not block.
 */
public interface CallListener extends LoadBalancerListener {
    /** {@code pod} was picked for attempt {@code attempt} (1 for the first) of {@code request}. */
    default void picked(String service, Request request, Endpoint pod, int attempt) {}

    /** The attempt on {@code pod} ended with {@code outcome}. */
    default void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {}

    /** The request goes to another pod after {@code outcome} on {@code pod}. */
    default void retrying(String service, Request request, Endpoint pod, Outcome outcome, int nextAttempt) {}
}
