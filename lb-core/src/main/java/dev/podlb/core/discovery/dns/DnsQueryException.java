package dev.podlb.core.discovery.dns;

/**
 * A query got no usable answer: why, in words for an operator, and whether it is an answer that
 * asking again soon will not change (REFUSED) rather than a failure to get one (a timeout, SERVFAIL).
 */
final class DnsQueryException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean definite;

    DnsQueryException(String reason, boolean definite, Throwable cause) {
        // Made for every failed query during an outage: the reason says all, a stack trace would say nothing.
        super(reason, cause, false, false);
        this.definite = definite;
    }

    boolean isDefinite() {
        return definite;
    }
}
