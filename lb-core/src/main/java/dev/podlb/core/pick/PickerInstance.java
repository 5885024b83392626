package dev.podlb.core.pick;

/**
 * One load balancer's maker of pickers, made from a {@link PickerPolicy}. It builds an immutable
 * {@link Picker} each time the pickable endpoints change (discovery, ejection, recovery) and may
 * keep state from one picker to the next. It is called only from its load balancer's serial
 * context, one call at a time and never on the request path: precompute here what
 * {@link Picker#pick} needs, and hold the endpoints' {@link EndpointStats} to read live load.
 */
@FunctionalInterface
public interface PickerInstance {
    /** A picker over {@code pickable}, which always holds at least one endpoint. */
    Picker newPicker(PickableEndpoints pickable);
}
