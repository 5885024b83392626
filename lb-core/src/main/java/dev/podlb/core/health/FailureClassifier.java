package dev.podlb.core.health;

import java.util.Arrays;
import java.util.Objects;

/**
 * Says which call outcomes count against an endpoint's health. Compose the built-in ones with
 * {@link #or}, or write a lambda. A classifier must be a pure function of the outcome: a load
 * balancer asks it once per response status, when it is built, and reads the answers from then on.
 *
 * <pre>{@code
 * FailureClassifier.connectionFailures().or(FailureClassifier.statuses(502, 503, 504))
 * }</pre>
 */
@FunctionalInterface
public interface FailureClassifier {
    /** Whether this outcome is a failure of the endpoint that served it. */
    boolean isFailure(Outcome outcome);

    /** This classifier or the other one. */
    default FailureClassifier or(FailureClassifier other) {
        Objects.requireNonNull(other, "other");
        return outcome -> isFailure(outcome) || other.isFailure(outcome);
    }

    /** Connect failures only: the pod could not be reached at all. */
    static FailureClassifier connectFailures() {
        return outcome -> outcome.kind() == Outcome.Kind.CONNECT_FAILURE;
    }

    /** Timeouts only. */
    static FailureClassifier timeouts() {
        return outcome -> outcome.kind() == Outcome.Kind.TIMEOUT;
    }

    /** Every failure at the connection level: connect failures, timeouts, resets. */
    static FailureClassifier connectionFailures() {
        return outcome -> outcome.kind() == Outcome.Kind.CONNECT_FAILURE || outcome.kind() == Outcome.Kind.TIMEOUT
                || outcome.kind() == Outcome.Kind.IO_FAILURE;
    }

    /** Any 5xx response, and any code HTTP does not define (below 100, above 599): a pod answering those is broken. */
    static FailureClassifier serverErrors() {
        return outcome -> outcome.kind() == Outcome.Kind.RESPONSE && (outcome.status() >= 500 || outcome.status() < 100);
    }

    /** 502, 503 and 504: the answers of a pod that is overloaded or going away, not of a bad request. */
    static FailureClassifier gatewayErrors() {
        return statuses(502, 503, 504);
    }

    /** Responses with these status codes. */
    static FailureClassifier statuses(int... codes) {
        int[] sorted = codes.clone();
        Arrays.sort(sorted);
        return outcome -> outcome.kind() == Outcome.Kind.RESPONSE && Arrays.binarySearch(sorted, outcome.status()) >= 0;
    }

    /** The default, as Envoy's consecutive-5xx detection: connection failures and any 5xx. */
    static FailureClassifier defaults() {
        return connectionFailures().or(serverErrors());
    }
}
