package dev.podlb.core.discovery.dns;

import dev.podlb.core.discovery.DiscoveryException;

/** A {@code dns:///} target could not be resolved; the message names the target, the name asked and why. */
public final class DnsResolutionException extends DiscoveryException {
    private static final long serialVersionUID = 1L;

    private final boolean noSuchName;

    /**
     * @param noSuchName DNS answered that the name has no records (NXDOMAIN or an empty answer)
     * @param definite   the failure is an answer that asking again soon will not change: no
     *                   records, or the server refused the query (REFUSED, NOTIMP, NOTAUTH)
     */
    DnsResolutionException(String message, boolean noSuchName, boolean definite, Throwable cause) {
        super(message, definite, cause);
        this.noSuchName = noSuchName;
    }

    /** Whether DNS said the name has no records (NXDOMAIN or an empty answer), rather than failing to answer. */
    public boolean isNoSuchName() {
        return noSuchName;
    }
}
