package dev.podlb.okhttp;

import java.io.IOException;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One call to a balanced service, from the interceptor's view: how many attempts it made, and its
 * end, told once to the listener. Without a listener nothing would read it: then every call shares
 * one record that keeps nothing.
 */
final class CallRecord {
    /** The record of every call no listener hears. */
    private static final CallRecord UNHEARD = new CallRecord(null, null, CompositeCallListener.NONE, 0);

    private final String service;
    private final Request request;
    private final CallListener listener;
    private final long startNanos;
    private int attempts;
    private boolean budgetExhausted;

    private CallRecord(String service, Request request, CallListener listener, long startNanos) {
        this.service = service;
        this.request = request;
        this.listener = listener;
        this.startNanos = startNanos;
    }

    /** The record of {@code request}'s call to {@code service}, which reached the interceptor at {@code startNanos}. */
    static CallRecord of(String service, Request request, CallListener listener, long startNanos) {
        return listener == CompositeCallListener.NONE ? UNHEARD : new CallRecord(service, request, listener, startNanos);
    }

    void attempted() {
        if (this != UNHEARD) {
            attempts++;
        }
    }

    void budgetExhausted() {
        if (this != UNHEARD) {
            budgetExhausted = true;
        }
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
