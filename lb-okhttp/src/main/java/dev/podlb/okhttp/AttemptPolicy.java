package dev.podlb.okhttp;

import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Set;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.internal.http2.ConnectionShutdownException;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;

/**
 * Which attempts of one call go to another pod. A request that no pod processed (its connection
 * never opened; HTTP/2 refused its stream, or the connection was shut down by GOAWAY before the
 * stream opened) is retried whatever its method; one that may have been processed only when its
 * method is idempotent and its body can be sent again. Whether bytes may have left is read from
 * the wire ({@link WireEvents}), not guessed from exception messages.
 */
final class AttemptPolicy {
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    private final boolean repeatable;
    private final int maxAttempts;
    private final Set<Integer> retryStatuses;

    private AttemptPolicy(boolean repeatable, int maxAttempts, Set<Integer> retryStatuses) {
        this.repeatable = repeatable;
        this.maxAttempts = maxAttempts;
        this.retryStatuses = retryStatuses;
    }

    /** A pinned request has one attempt: no other pod will do. */
    static AttemptPolicy of(BalancedService service, Request request, PickRequest pick) {
        RequestBody body = request.body();
        boolean repeatable = IDEMPOTENT.contains(request.method()) && (body == null || !body.isOneShot());
        return new AttemptPolicy(repeatable, pick.pin() != null ? 1 : service.maxAttempts, service.retryStatuses);
    }

    /** Whether the request may be sent twice. */
    boolean repeatable() {
        return repeatable;
    }

    /** Whether a pod's response with {@code status} to attempt {@code attempt} goes to another pod. */
    boolean retriesStatus(int status, int attempt) {
        return repeatable && attempt < maxAttempts && retryStatuses.contains(status);
    }

    /** Whether attempt {@code attempt}, failed with {@code failure}, goes to another pod. */
    boolean retriesFailure(IOException failure, WireEvents wire, int attempt) {
        return attempt < maxAttempts && (repeatable || unprocessed(failure, wire));
    }

    /** How a failed attempt counts against its pod. */
    static Outcome outcomeOf(IOException failure, WireEvents wire) {
        if (!wire.requestStarted()) {
            return Outcome.connectFailure(failure);
        }
        return failure instanceof SocketTimeoutException ? Outcome.timeout(failure) : Outcome.ioFailure(failure);
    }

    private static boolean unprocessed(IOException failure, WireEvents wire) {
        return !wire.requestStarted() || failure instanceof ConnectionShutdownException
                || failure instanceof StreamResetException reset && reset.errorCode == ErrorCode.REFUSED_STREAM;
    }
}
