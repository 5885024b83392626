package dev.podlb.okhttp;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
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
 * <p>A body the application never closes would count in flight for ever: when the body becomes
 * unreachable unclosed, a {@link Cleaner} ends its attempt charging no pod (nothing is known of
 * how the response went) and logs a warning, as OkHttp warns of a leaked connection. The body is
 * read and closed on the application's threads; the leak is handled on the cleaner's thread.
 */
final class AttemptBody extends ResponseBody {
    private static final Logger log = LoggerFactory.getLogger(AttemptBody.class);
    private static final Cleaner LEAKS = Cleaner.create(runnable -> {
        Thread thread = new Thread(runnable, "podlb-response-leaks");
        thread.setDaemon(true);
        return thread;
    });

    private final ResponseBody delegate;
    private final Ending ending;
    private BufferedSource source;

    private AttemptBody(ResponseBody delegate, Ending ending) {
        this.delegate = delegate;
        this.ending = ending;
        LEAKS.register(this, ending::leaked);
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
                        ending.failed(e);
                        throw e;
                    }
                    if (read == -1) {
                        ending.done();
                    }
                    return read;
                }

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
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
