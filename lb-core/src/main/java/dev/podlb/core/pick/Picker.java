package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.NoEndpointException;

/**
 * Chooses the endpoint for one request. A picker is immutable, built by a {@link PickerInstance}
 * for one moment's pickable endpoints, and called on every request, from many threads at once,
 * with no lock: it must not block.
 */
@FunctionalInterface
public interface Picker {
    /**
     * Returns one of the pickable endpoints this picker was built for, never {@code null}.
     *
     * @throws NoEndpointException when the request cannot be served
     */
    Endpoint pick(PickRequest request);
}
