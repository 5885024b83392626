package dev.podlb.okhttp;

import java.io.IOException;

/**
 * How a whole call to a balanced service ended, after all of its attempts: what the caller got.
 * {@link CallListener#callEnded} receives one for every call, including those that failed before
 * any attempt (no pod, no route), so that the worst outages are counted too.
 */
public final class CallOutcome {
    /** What the caller got. */
    public enum Kind {
        /** A response; {@link #status()} holds its status code. */
        RESPONSE,
        /** An I/O failure of the last attempt, which was not retried. */
        FAILED,
        /** The call timeout ran out. */
        TIMED_OUT,
        /** The application cancelled the call. */
        CANCELED,
        /** No pod could be picked: {@link NoPodAvailableException}. */
        NO_POD,
        /** A routed host's path matched no rule: {@link NoRouteException}. */
        NO_ROUTE
    }

    private final Kind kind;
    private final int status;
    private final boolean fromCache;
    private final IOException failure;
    private final int attempts;
    private final boolean retryBudgetExhausted;
    private final long durationNanos;

    private CallOutcome(Kind kind, int status, boolean fromCache, IOException failure, int attempts,
                        boolean retryBudgetExhausted, long durationNanos) {
        this.kind = kind;
        this.status = status;
        this.fromCache = fromCache;
        this.failure = failure;
        this.attempts = attempts;
        this.retryBudgetExhausted = retryBudgetExhausted;
        this.durationNanos = durationNanos;
    }

    static CallOutcome response(int status, boolean fromCache, int attempts, boolean budgetExhausted, long nanos) {
        return new CallOutcome(Kind.RESPONSE, status, fromCache, null, attempts, budgetExhausted, nanos);
    }

    static CallOutcome failure(Kind kind, IOException failure, int attempts, boolean budgetExhausted, long nanos) {
        return new CallOutcome(kind, -1, false, failure, attempts, budgetExhausted, nanos);
    }

    public Kind kind() {
        return kind;
    }

    /** The status code of a {@link Kind#RESPONSE}, or -1. */
    public int status() {
        return status;
    }

    /** Whether OkHttp's cache answered without asking a pod. */
    public boolean fromCache() {
        return fromCache;
    }

    /** What the caller received instead of a response, or {@code null} for a {@link Kind#RESPONSE}. */
    public IOException failure() {
        return failure;
    }

    /** Attempts made on pods, 0 when the call failed before any. */
    public int attempts() {
        return attempts;
    }

    /** Whether the call ended as it did because the service's {@link RetryBudget} refused it a retry. */
    public boolean retryBudgetExhausted() {
        return retryBudgetExhausted;
    }

    /** From the call reaching the interceptor to its end. */
    public long durationNanos() {
        return durationNanos;
    }

    @Override
    public String toString() {
        return (kind == Kind.RESPONSE ? "RESPONSE " + status + (fromCache ? " from cache" : "") : kind + " (" + failure + ")")
                + " after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + (retryBudgetExhausted ? ", retry budget exhausted" : "");
    }
}
