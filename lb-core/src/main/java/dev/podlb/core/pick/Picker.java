package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.NoEndpointException;

/**
 * Chooses the endpoint for one request. A picker is immutable and built for one set of pickable
 * endpoints by its {@link Factory}; it is called on every request, from many threads at once,
 * and must not block.
 *
 * <pre>{@code
 * // A user's picker: the first pickable endpoint in the zone "a", else any.
 * Picker.Factory sameZone = pickable -> {
 *     Endpoint inZone = pickable.endpoints().stream()
 *             .filter(e -> e.zone().orElse("").equals("a")).findFirst()
 *             .orElse(pickable.endpoints().get(0));
 *     return request -> inZone;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Picker {
    /**
     * Returns one of the pickable endpoints this picker was built for, never {@code null}.
     *
     * @throws NoEndpointException when the request cannot be served (a pin to an absent pod)
     */
    Endpoint pick(PickRequest request);

    /**
     * Builds a picker each time the pickable endpoints change (discovery, ejection, recovery),
     * off the request path: precompute here what {@link Picker#pick} needs. A factory may keep
     * state from one picker to the next, as round-robin keeps its position.
     */
    @FunctionalInterface
    interface Factory {
        /** A picker over {@code pickable}, which always holds at least one endpoint. */
        Picker newPicker(PickableEndpoints pickable);
    }
}
