package dev.podlb.okhttp;

import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Set;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * Which attempts of one call go to another pod. A request is sent again only when that is safe:
 * its method is idempotent and its body can be written again, or no pod processed it (its
 * connection never opened; HTTP/2 refused its stream, or a GOAWAY came whose last stream is below
 * it) and its body is absent, empty or repeatable. A one-shot body ({@link RequestBody#isOneShot})
 * is never written twice, as OkHttp's own {@code recover()} refuses. Whether bytes may have left
 * is read from the wire ({@link WireEvents}).
 */
final class AttemptPolicy {
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    private final boolean repeatable;
    private final boolean bodyRewritable;
    private final int maxAttempts;
    private final Set<Integer> retryStatuses;

    private AttemptPolicy(boolean repeatable, boolean bodyRewritable, int maxAttempts, Set<Integer> retryStatuses) {
        this.repeatable = repeatable;
        this.bodyRewritable = bodyRewritable;
        this.maxAttempts = maxAttempts;
        this.retryStatuses = retryStatuses;
    }

    /**
     * Every policy a service's calls can have, made once with the service rather than once per
     * call: unpinned then pinned, each repeatable, then rewritable only, then neither.
     */
    static AttemptPolicy[] every(int maxAttempts, Set<Integer> retryStatuses) {
        AttemptPolicy[] policies = new AttemptPolicy[6];
        for (int pinned = 0; pinned < 2; pinned++) {
            int max = pinned == 1 ? 1 : maxAttempts;
            policies[3 * pinned] = new AttemptPolicy(true, true, max, retryStatuses);
            policies[3 * pinned + 1] = new AttemptPolicy(false, true, max, retryStatuses);
            policies[3 * pinned + 2] = new AttemptPolicy(false, false, max, retryStatuses);
        }
        return policies;
    }

    /** A pinned request has one attempt: no other pod will do. */
    static AttemptPolicy of(BalancedService service, Request request, PickRequest pick) {
        boolean rewritable = bodyRewritable(request.body());
        String method = request.method();
        // Most calls are GETs: the method is then matched without a lookup in the set.
        boolean repeatable = ("GET".equals(method) || IDEMPOTENT.contains(method)) && rewritable;
        return service.attemptPolicies[(pick.pin() != null ? 3 : 0) + (repeatable ? 0 : rewritable ? 1 : 2)];
    }

    /** A body can be written again when there is none, it is empty, or it is not one-shot. */
    private static boolean bodyRewritable(RequestBody body) {
        if (body == null || !body.isOneShot()) {
            return true;
        }
        try {
            return body.contentLength() == 0;
        } catch (IOException e) {
            return false; // a length it cannot tell is not known to be empty
        }
    }

    /** Whether the request may be sent twice. */
    boolean repeatable() {
        return repeatable;
    }

    /** Whether the call is hedged: its service hedges, and it may be sent twice to another pod. */
    boolean hedges(Balanced balanced) {
        return balanced.hedgeDelay() != null && repeatable && maxAttempts >= 2;
    }

    /** Whether {@code status} is one the service retries on another pod. */
    boolean retryStatus(int status) {
        return retryStatuses.contains(status);
    }

    /** Whether a pod's response with {@code status} to attempt {@code attempt} goes to another pod. */
    boolean retriesStatus(int status, int attempt) {
        // Most services retry on no status: then no status is boxed to be looked up, on every call.
        return repeatable && attempt < maxAttempts && !retryStatuses.isEmpty() && retryStatuses.contains(status);
    }

    /** Whether attempt {@code attempt}, failed with {@code failure}, goes to another pod. */
    boolean retriesFailure(IOException failure, WireEvents wire, int attempt) {
        return attempt < maxAttempts && (repeatable || bodyRewritable && unprocessed(failure, wire));
    }

    /**
     * Whether the attempt failed on a pooled connection the pod had closed while it sat idle,
     * found closed before any byte of the request left ({@link StaleConnections}), so that the
     * request goes again, on a fresh connection, to the same pod: no pod received it. Only for a
     * body that can be written again, as OkHttp's own {@code retryOnConnectionFailure} would.
     */
    boolean resendsOnFreshConnection(WireEvents wire) {
        return bodyRewritable && wire.staleConnectionFound() && !wire.responseStarted();
    }

    /** How a failed attempt counts against its pod. */
    static Outcome outcomeOf(IOException failure, WireEvents wire) {
        if (!wire.requestStarted()) {
            return Outcome.connectFailure(failure);
        }
        return failure instanceof SocketTimeoutException ? Outcome.timeout(failure) : Outcome.ioFailure(failure);
    }

    private static boolean unprocessed(IOException failure, WireEvents wire) {
        return !wire.requestStarted() || Http2Failures.unprocessed(failure);
    }
}
