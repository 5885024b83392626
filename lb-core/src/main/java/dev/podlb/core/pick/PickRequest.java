package dev.podlb.core.pick;

/**
 * What one request asks of the picker: an optional sticky-session key (the same key reaches the
 * same pod) and an optional pin (this pod and no other). Immutable.
 *
 * <pre>{@code
 * lb.pick(PickRequest.sticky(sessionId));
 * lb.pick(PickRequest.pinned("backend-7d9f"));
 * lb.pick(PickRequest.builder().stickyKey(userId).pin(podFromHeader).build());
 * }</pre>
 */
public final class PickRequest {
    private static final PickRequest NONE = new PickRequest(null, null);

    private final String stickyKey;
    private final String pin;

    private PickRequest(String stickyKey, String pin) {
        this.stickyKey = stickyKey;
        this.pin = pin;
    }

    /** A request with no key and no pin. */
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

    @Override
    public String toString() {
        return "PickRequest{stickyKey=" + stickyKey + ", pin=" + pin + "}";
    }

    /** Builds a {@link PickRequest}. Empty strings count as absent. */
    public static final class Builder {
        private String stickyKey;
        private String pin;

        private Builder() {}

        public Builder stickyKey(String stickyKey) {
            this.stickyKey = stickyKey == null || stickyKey.isEmpty() ? null : stickyKey;
            return this;
        }

        public Builder pin(String pin) {
            this.pin = pin == null || pin.isEmpty() ? null : pin;
            return this;
        }

        public PickRequest build() {
            return stickyKey == null && pin == null ? NONE : new PickRequest(stickyKey, pin);
        }
    }
}
