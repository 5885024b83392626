package dev.podlb.core.discovery;

/**
 * Discovery could not deliver a service's endpoints. Its message names the target and why.
 *
 * <p>A <em>definite</em> failure is an answer that waiting will not change soon: the name does not
 * exist (NXDOMAIN), the server refused the query, the API server denied access (403) or has no
 * such Service. Before a first set, a load balancer's {@code awaitReady} fails at once on one;
 * silence and transient errors (timeouts, SERVFAIL, a dropped watch) are waited out.
 */
public abstract class DiscoveryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean definite;

    protected DiscoveryException(String message, boolean definite, Throwable cause) {
        super(message, cause);
        this.definite = definite;
    }

    /** Whether this failure is an answer (no such name, access denied) rather than a failure to get one. */
    public boolean isDefinite() {
        return definite;
    }
}
