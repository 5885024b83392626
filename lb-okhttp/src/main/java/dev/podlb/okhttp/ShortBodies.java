package dev.podlb.okhttp;

import java.io.IOException;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Reads a body of known length up to a limit into the response's own buffer, so that a connection
 * cut in the middle of it fails while the call can still be retried, and not in the caller's
 * hands. The caller reads the same bytes, without a copy.
 */
final class ShortBodies {
    private ShortBodies() {}

    /** Reads {@code response}'s body whole when its length is known and at most {@code limit}; returns whether it did. */
    static boolean buffer(Response response, long limit) throws IOException {
        ResponseBody body = response.body();
        long length = body.contentLength();
        if (length > 0 && length <= limit) {
            try {
                return body.source().request(length);
            } catch (IOException e) {
                response.close();
                throw e;
            }
        }
        return false;
    }
}
