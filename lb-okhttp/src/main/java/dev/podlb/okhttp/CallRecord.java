package dev.podlb.okhttp;

import java.io.IOException;
import okhttp3.Request;
import okhttp3.Response;

/** One call to a balanced service, from the interceptor's view: how many attempts it made, and its end, told once. */
final class CallRecord {
    private final String service;
    private final Request request;
    private final CallListener listener;
    private final long startNanos = System.nanoTime();
    private int attempts;
    private boolean budgetExhausted;

    CallRecord(String service, Request request, CallListener listener) {
        this.service = service;
        this.request = request;
        this.listener = listener;
    }

    /** When the call reached the interceptor, as {@link System#nanoTime()}. */
    long startNanos() {
        return startNanos;
    }

    void attempted() {
        attempts++;
    }

    void budgetExhausted() {
        budgetExhausted = true;
    }

    /** The call returns {@code response} to its caller. */
    Response returned(Response response, boolean fromCache) {
        if (listener != CompositeCallListener.NONE) {
            listener.callEnded(service, request, CallOutcome.response(response.code(), fromCache, attempts,
                    budgetExhausted, System.nanoTime() - startNanos));
        }
        return response;
    }

    /** The call fails with {@code failure}; returns it, for the caller to throw. */
    <E extends IOException> E failed(CallOutcome.Kind kind, E failure) {
        if (listener != CompositeCallListener.NONE) {
            listener.callEnded(service, request, CallOutcome.failure(kind, failure, attempts, budgetExhausted,
                    System.nanoTime() - startNanos));
        }
        return failure;
    }
}
