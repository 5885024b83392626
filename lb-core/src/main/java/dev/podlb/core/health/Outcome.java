package dev.podlb.core.health;

/**
 * How one call to an endpoint ended, reported back so that failing pods are ejected. Whether an
 * outcome counts as a failure is for the {@link FailureClassifier} to say.
 *
 * <pre>{@code
 * lb.report(pod, Outcome.response(503));
 * lb.report(pod, Outcome.connectFailure(e));
 * }</pre>
 */
public final class Outcome {
    /** What kind of ending. */
    public enum Kind {
        /** The call succeeded (for protocols without a status code). */
        SUCCESS,
        /** A response arrived; {@link Outcome#status()} holds its status code. */
        RESPONSE,
        /** No connection could be made: refused, unreachable, connect timeout. Nothing was sent. */
        CONNECT_FAILURE,
        /** Connected, but no answer came in time. */
        TIMEOUT,
        /** The connection failed after the request may have been sent (reset, closed). */
        IO_FAILURE
    }

    /** The highest status code a status line can carry. */
    public static final int MAX_STATUS = 999;

    private static final Outcome SUCCESS = new Outcome(Kind.SUCCESS, -1, null);
    /** One immutable outcome per status code, so that reporting a response allocates nothing. */
    private static final Outcome[] RESPONSES = new Outcome[MAX_STATUS + 1];

    static {
        for (int status = 0; status <= MAX_STATUS; status++) {
            RESPONSES[status] = new Outcome(Kind.RESPONSE, status, null);
        }
    }

    private final Kind kind;
    private final int status;
    private final Throwable cause;

    private Outcome(Kind kind, int status, Throwable cause) {
        this.kind = kind;
        this.status = status;
        this.cause = cause;
    }

    public static Outcome success() {
        return SUCCESS;
    }

    /**
     * A response with this status code: HTTP defines 100 to 599, but a status line carries any
     * three digits and clients such as OkHttp pass them on (a pod or proxy answering 999 or 600
     * still answered), so 0 to 999 are taken.
     */
    public static Outcome response(int status) {
        if (status < 0 || status > MAX_STATUS) {
            throw new IllegalArgumentException("HTTP status " + status + " is out of range; expected three digits, 0 to 999");
        }
        return RESPONSES[status];
    }

    public static Outcome connectFailure(Throwable cause) {
        return new Outcome(Kind.CONNECT_FAILURE, -1, cause);
    }

    public static Outcome timeout(Throwable cause) {
        return new Outcome(Kind.TIMEOUT, -1, cause);
    }

    public static Outcome ioFailure(Throwable cause) {
        return new Outcome(Kind.IO_FAILURE, -1, cause);
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status code of a {@link Kind#RESPONSE}, or -1. */
    public int status() {
        return status;
    }

    /** What was thrown, for failures that threw; otherwise {@code null}. */
    public Throwable cause() {
        return cause;
    }

    @Override
    public String toString() {
        return kind == Kind.RESPONSE ? "RESPONSE " + status : cause == null ? kind.name() : kind + " (" + cause + ")";
    }
}
