package dev.podlb.core.pick;

/** What a request pinned to a pod gets when that pod is absent, ejected or not ready. */
public enum WhenPinUnavailable {
    /** Fail with a {@link dev.podlb.core.NoEndpointException} that says why (the default). */
    FAIL,
    /** Serve the request from the service's normal picker, as if it were not pinned. */
    USE_ANY
}
