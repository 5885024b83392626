package dev.podlb.okhttp;

import java.io.IOException;

/**
 * Tells, from OkHttp's exception, that an HTTP/2 pod did not process a stream: it refused it
 * ({@code RST_STREAM REFUSED_STREAM}; OkHttp also reports so every stream above a GOAWAY's last
 * stream id), or the connection was shut down by GOAWAY before the stream opened.
 *
 * <p>OkHttp's classes for these live in {@code okhttp3.internal}, which podlb does not compile
 * against (any release may change it): they are recognised by name and message instead. Should a
 * release rename them, the failures read as "may have been processed", so a request is then sent
 * again only if it is idempotent — never a non-idempotent one by mistake.
 */
final class Http2Failures {
    private static final String STREAM_RESET = "okhttp3.internal.http2.StreamResetException";
    private static final String SHUTDOWN = "okhttp3.internal.http2.ConnectionShutdownException";

    private Http2Failures() {}

    static boolean unprocessed(IOException failure) {
        String type = failure.getClass().getName();
        if (type.equals(SHUTDOWN)) {
            return true;
        }
        String message = failure.getMessage();
        return type.equals(STREAM_RESET) && message != null && message.endsWith(": REFUSED_STREAM");
    }
}
