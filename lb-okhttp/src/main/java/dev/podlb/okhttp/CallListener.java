package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.health.Outcome;
import okhttp3.Request;

/**
 * Hears what the interceptor does with each call and each of its attempts — picks, attempt
 * outcomes, retries, the call's end — and, as a {@link LoadBalancerListener}, what its load
 * balancers do: endpoints resolved, pods ejected, readmitted and recovered. For logs and metrics;
 * methods must not block.
 *
 * <p>A call is what the application asked for; an attempt is one try of it on one pod. The call
 * methods run on the thread that runs the call (the caller's for {@code execute}, OkHttp's
 * dispatcher's for {@code enqueue}); the load-balancer methods on the threads its
 * {@link LoadBalancerListener} names.
 */
public interface CallListener extends LoadBalancerListener {
    /** {@code pod} was picked for attempt {@code attempt} (1 for the first) of {@code request}. */
    default void picked(String service, Request request, Endpoint pod, int attempt) {}

    /**
     * An attempt ended with {@code outcome}, charged to {@code pod}: the pod that answered. For the
     * attempt whose response the call returns, once its body is done (read to its end, closed, or
     * cut), on the thread that reads or closes it. Not called for an attempt the application
     * cancelled, OkHttp's cache answered, a hedge that lost, or a body dropped unclosed: no pod is
     * charged for those.
     */
    default void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {}

    /** The request goes to another pod after {@code outcome} on {@code pod}. */
    default void retrying(String service, Request request, Endpoint pod, Outcome outcome, int nextAttempt) {}

    /**
     * The policy would have retried after {@code outcome} on {@code pod}, but the service's
     * {@link RetryBudget} is spent: the call ends with that outcome.
     */
    default void retryBudgetExhausted(String service, Request request, Endpoint pod, Outcome outcome) {}

    /**
     * The call ended: once per call to a balanced service, after its last attempt or before any
     * (no pod, no route). For a routed host whose path matched no rule, {@code service} is the
     * route's host.
     */
    default void callEnded(String service, Request request, CallOutcome outcome) {}
}
