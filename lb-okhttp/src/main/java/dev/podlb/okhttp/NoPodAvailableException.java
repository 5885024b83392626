package dev.podlb.okhttp;

import dev.podlb.core.NoEndpointException;
import java.io.IOException;

/**
 * A call to a balanced service found no pod to send it to. An {@link IOException}, so that
 * {@code enqueue} callbacks receive it; its message names the service, the reason and the counts
 * of known, ready and ejected pods.
 */
public final class NoPodAvailableException extends IOException {
    private static final long serialVersionUID = 1L;

    NoPodAvailableException(NoEndpointException cause) {
        super(cause.getMessage(), cause);
    }

    /** Why nothing could be picked, with the counts. */
    public NoEndpointException reason() {
        return (NoEndpointException) getCause();
    }
}
