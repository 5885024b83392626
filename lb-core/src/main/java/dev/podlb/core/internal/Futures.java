package dev.podlb.core.internal;

import java.util.concurrent.CompletionException;

/** What asynchronous failures are really about. */
public final class Futures {
    private Futures() {}

    /** The cause a {@link CompletionException} wraps, however deeply; any other throwable as it is. */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
