package dev.podlb.okhttp;

import java.io.IOException;

/** A request to a routed host matched none of its paths, and the route has no default service. */
public final class NoRouteException extends IOException {
    private static final long serialVersionUID = 1L;

    NoRouteException(String message) {
        super(message);
    }
}
