package dev.podlb.core;

/**
 * No endpoint could be picked for a request. The message names the service, why, and how many
 * endpoints were known, ready and ejected:
 * {@code no ready endpoint for service backend (3 known, 0 ready, 0 ejected)}.
 */
public final class NoEndpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why nothing could be picked. */
    public enum Reason {
        /** The resolver has not delivered a first set yet. */
        NOT_RESOLVED,
        /** Discovery returned no endpoint at all. */
        NONE_DISCOVERED,
        /** Endpoints are known but none is ready or serving. */
        NONE_READY,
        /** The request was pinned to a pod that discovery did not return. */
        PINNED_NOT_FOUND,
        /** The request was pinned to a known pod that cannot be picked now (ejected, not ready). */
        PINNED_UNAVAILABLE,
        /** The picker failed to build or returned no endpoint: a bug in a user-supplied picker. */
        PICKER_FAILED,
        /** The load balancer was closed. */
        CLOSED
    }

    private final String service;
    private final Reason reason;
    private final int known;
    private final int ready;
    private final int ejected;

    public NoEndpointException(String service, Reason reason, String message, int known, int ready, int ejected,
                               Throwable cause) {
        super(message + " (" + known + " known, " + ready + " ready, " + ejected + " ejected)", cause);
        this.service = service;
        this.reason = reason;
        this.known = known;
        this.ready = ready;
        this.ejected = ejected;
    }

    public String service() {
        return service;
    }

    public Reason reason() {
        return reason;
    }

    /** Endpoints discovery returned, in any state. */
    public int known() {
        return known;
    }

    /** Endpoints that were ready. */
    public int ready() {
        return ready;
    }

    /** Endpoints that were ejected for failing. */
    public int ejected() {
        return ejected;
    }
}
