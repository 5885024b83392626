package dev.podlb.core.pick;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one request asks of the picker: an optional sticky-session key (the same key reaches the
 * same pod), an optional pin (this pod and no other), and attributes a custom picker may choose
 * by (the request's headers, a tenant, a priority). Immutable.
 *
 * <pre>{@code
 * lb.pick(PickRequest.sticky(sessionId));
 * lb.pick(PickRequest.pinned("backend-7d9f"));
 * lb.pick(PickRequest.builder().stickyKey(userId).attribute("x-tenant", tenant).build());
 * }</pre>
 */
public final class PickRequest {
    private static final PickRequest NONE = new PickRequest(null, null, Map.of());

    private final String stickyKey;
    private final String pin;
    private final Map<String, String> attributes;

    private PickRequest(String stickyKey, String pin, Map<String, String> attributes) {
        this.stickyKey = stickyKey;
        this.pin = pin;
        this.attributes = attributes;
    }

    /** A request with no key, no pin and no attributes. */
    public static PickRequest none() {
        return NONE;
    }

    /** A request that should reach the pod this key maps to. */
    public static PickRequest sticky(String stickyKey) {
        return builder().stickyKey(stickyKey).build();
    }

    /** A request for one pod: a pod name, {@code address:port}, or an address. */
    public static PickRequest pinned(String pod) {
        return builder().pin(pod).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The sticky-session key, or {@code null} when the request has none. */
    public String stickyKey() {
        return stickyKey;
    }

    /** The pod this request is pinned to, or {@code null} when it is not pinned. */
    public String pin() {
        return pin;
    }

    /** The value of attribute {@code name} (names compare exactly, case included), or {@code null}. */
    public String attribute(String name) {
        return attributes.get(name);
    }

    /** Every attribute, by name; immutable, empty when the request has none. */
    public Map<String, String> attributes() {
        return attributes;
    }

    /** Names attributes without their values: a value may be a credential (an Authorization header). */
    @Override
    public String toString() {
        return "PickRequest{stickyKey=" + stickyKey + ", pin=" + pin
                + (attributes.isEmpty() ? "" : ", attributes=" + attributes.keySet()) + "}";
    }

    /** Builds a {@link PickRequest}. Empty strings count as absent. */
    public static final class Builder {
        private String stickyKey;
        private String pin;
        private Map<String, String> attributes;

        private Builder() {}

        public Builder stickyKey(String stickyKey) {
            this.stickyKey = stickyKey == null || stickyKey.isEmpty() ? null : stickyKey;
            return this;
        }

        public Builder pin(String pin) {
            this.pin = pin == null || pin.isEmpty() ? null : pin;
            return this;
        }

        /** Sets attribute {@code name} to {@code value}; a {@code null} or empty value removes it. */
        public Builder attribute(String name, String value) {
            Objects.requireNonNull(name, "attribute name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("pick request attribute name is empty; expected a name such as"
                        + " \"x-tenant\"");
            }
            if (value == null || value.isEmpty()) {
                if (attributes != null) {
                    attributes.remove(name);
                }
            } else {
                if (attributes == null) {
                    attributes = new HashMap<>();
                }
                attributes.put(name, value);
            }
            return this;
        }

        /** Sets each of {@code attributes}, as {@link #attribute} does one. */
        public Builder attributes(Map<String, String> attributes) {
            attributes.forEach(this::attribute);
            return this;
        }

        public PickRequest build() {
            boolean noAttributes = attributes == null || attributes.isEmpty();
            if (stickyKey == null && pin == null && noAttributes) {
                return NONE;
            }
            return new PickRequest(stickyKey, pin, noAttributes ? Map.of() : Map.copyOf(attributes));
        }
    }
}
