package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Call;
import okhttp3.Response;

/**
 * Runs an attempt after the first as a call of its own: a clone of the application's call, on
 * the same client, that this interceptor recognises and sends straight to the pod picked for it.
 * A retry on the call that made the first attempt would ride that attempt's connection (OkHttp
 * reuses a call's connection for its next request to the same host and port, whatever the call's
 * {@code Dns}); a call of its own takes a connection from the picked pod's pool and leaves every
 * other connection as it was: shared over HTTP/2, kept alive over HTTP/1.1.
 *
 * <p>{@link #execute} runs on the thread that runs the application's call, {@link #claim} on the
 * thread that runs the clone (the same thread: the clone is executed, not enqueued).
 */
final class AttemptCalls {
    /** Where a clone goes: the service's pod picked for it, and whether its request may be sent twice. */
    record Route(Balanced balanced, Endpoint pod, boolean repeatable) {}

    private final Map<Call, Route> routes = new ConcurrentHashMap<>();

    /**
     * The route of {@code call} when it is an attempt of this interceptor's, or {@code null}. A clone
     * is put here on the thread that then runs it, so while no retry or hedge is under way the map is
     * empty and a call is not looked up: a lookup hashes the call, and the first hash of an object
     * takes the JVM's slow path to install its identity hash code, on every call.
     */
    Route claim(Call call) {
        return routes.isEmpty() ? null : routes.remove(call);
    }

    /** Executes {@code clone}, whose request this interceptor sends to {@code route}'s pod as it is. */
    Response execute(Call clone, Route route) throws IOException {
        routes.put(clone, route);
        try {
            return clone.execute();
        } finally {
            routes.remove(clone); // when an interceptor before this one answered without proceeding
        }
    }
}
