package dev.podlb.okhttp;

import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import dev.podlb.core.health.Outcome;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A response body that ends its attempt when it is done: read to its end or closed, the pod is
 * charged the response; cut in the middle (or timed out while being read), the pod is charged
 * the failure. Until then the attempt counts among the pod's requests in flight, and its duration,
 * which Peak-EWMA reads, is the whole response's.
 *
 * <p>A body the application never closes would count in flight for ever: once the body has
 * become unreachable unclosed (garbage collected), the next balanced response to be returned
 * finds it, as OkHttp's pool finds leaked connections during its cleanup, and its attempt ends
 * charging no pod (nothing is known of how the response went) with a warning in the log. No
 * thread is kept for this. The body is read and closed on the application's threads; a leak is
 * handled on the thread that returns the next response.
 */
final class AttemptBody extends ResponseBody {
    private static final Logger log = LoggerFactory.getLogger(AttemptBody.class);
    private static final ReferenceQueue<AttemptBody> UNREACHABLE = new ReferenceQueue<>();
    /** The bodies not yet done, held weakly (phantom) through their {@link Leak}s. */
    private static final Set<Leak> UNDONE = ConcurrentHashMap.newKeySet();

    private final ResponseBody delegate;
    private final Ending ending;
    private final Leak leak;
    private BufferedSource source;

    private AttemptBody(ResponseBody delegate, Ending ending) {
        this.delegate = delegate;
        this.ending = ending;
        endLeaked();
        this.leak = new Leak(this, ending);
        UNDONE.add(leak);
    }

    /** What is left of a body once it is unreachable: how to end its attempt. */
    private static final class Leak extends PhantomReference<AttemptBody> {
        final Ending ending;

        Leak(AttemptBody body, Ending ending) {
            super(body, UNREACHABLE);
            this.ending = ending;
        }
    }

    /** Ends the attempts of the bodies found unreachable before they were done. */
    private static void endLeaked() {
        for (Reference<? extends AttemptBody> found = UNREACHABLE.poll(); found != null; found = UNREACHABLE.poll()) {
            Leak leak = (Leak) found;
            if (UNDONE.remove(leak)) {
                leak.ending.leaked();
            }
        }
    }

    /**
     * {@code response} as the call returns it: when its body is already done ({@code bodyDone}:
     * read whole into its buffer) or empty, the attempt ends now; otherwise it ends with its body.
     */
    static Response returned(Response response, Attempt attempt, InetSocketAddress answeredBy, Outcome answered,
                             boolean bodyDone, Call call, Call attemptCall) {
        if (bodyDone || response.body().contentLength() == 0) {
            attempt.end(answeredBy, answered);
            return response;
        }
        return spanning(response, attempt, answeredBy, answered, call, attemptCall);
    }

    /**
     * {@code response}, whose body ends {@code attempt} when done, charging {@code answeredBy}
     * with {@code answered} or with the failure that cut it. A body cut because the call was
     * cancelled by the application charges no pod; by the call timeout, a timeout.
     */
    static Response spanning(Response response, Attempt attempt, InetSocketAddress answeredBy, Outcome answered,
                             Call call, Call attemptCall) {
        Ending ending = new Ending(attempt, answeredBy, answered, call, attemptCall);
        return response.newBuilder().body(new AttemptBody(response.body(), ending)).build();
    }

    @Override
    public MediaType contentType() {
        return delegate.contentType();
    }

    @Override
    public long contentLength() {
        return delegate.contentLength();
    }

    @Override
    public synchronized BufferedSource source() {
        if (source == null) {
            source = Okio.buffer(new ForwardingSource(delegate.source()) {
                @Override
                public long read(Buffer sink, long byteCount) throws IOException {
                    long read;
                    try {
                        read = super.read(sink, byteCount);
                    } catch (IOException e) {
                        UNDONE.remove(leak);
                        ending.failed(e);
                        throw e;
                    }
                    if (read == -1) {
                        UNDONE.remove(leak);
                        ending.done();
                    }
                    return read;
                }

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        UNDONE.remove(leak);
                        ending.done();
                    }
                }
            });
        }
        return source;
    }

    /** How the attempt ends; holds no reference to the body, so the body can become unreachable. */
    private record Ending(Attempt attempt, InetSocketAddress answeredBy, Outcome answered, Call call, Call attemptCall) {
        void done() {
            attempt.end(answeredBy, answered);
        }

        void failed(IOException e) {
            boolean canceled = call.isCanceled() || attemptCall.isCanceled();
            if (canceled && !CallTimeouts.endedByTimeout(canceled(), e)) {
                attempt.endUncharged(); // the application cancelled: nothing is known of the pod
                return;
            }
            attempt.end(answeredBy, canceled || e instanceof SocketTimeoutException ? Outcome.timeout(e) : Outcome.ioFailure(e));
        }

        private Call canceled() {
            return attemptCall.isCanceled() ? attemptCall : call;
        }

        void leaked() {
            if (!attempt.ended()) {
                attempt.endUncharged();
                log.warn("{}: a response body was never closed; its attempt no longer counts in flight and is charged to"
                        + " no pod. Close every response body (try-with-resources on the Response)", attempt.describe());
            }
        }
    }
}
