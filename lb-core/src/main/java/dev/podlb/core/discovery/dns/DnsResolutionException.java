package dev.podlb.core.discovery.dns;

import dev.podlb.core.discovery.DiscoveryException;

/** A {@code dns:///} target could not be resolved; the message names the target, the name asked and why. */
public final class DnsResolutionException extends DiscoveryException {
    private static final long serialVersionUID = 1L;

    private final boolean noSuchName;

    DnsResolutionException(String message, boolean noSuchName, Throwable cause) {
        super(message, noSuchName, cause);
        this.noSuchName = noSuchName;
    }

    /** Whether DNS said the name has no records (NXDOMAIN or an empty answer), rather than failing to answer. */
    public boolean isNoSuchName() {
        return noSuchName;
    }
}
