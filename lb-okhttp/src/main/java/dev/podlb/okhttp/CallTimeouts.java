package dev.podlb.okhttp;

import java.io.IOException;
import java.io.InterruptedIOException;
import okhttp3.Call;
import okio.AsyncTimeout;

/**
 * Tells a call timeout from the application's cancel: OkHttp implements {@code callTimeout} by
 * cancelling the call, so {@link Call#isCanceled()} is true after both.
 */
final class CallTimeouts {
    private CallTimeouts() {}

    /**
     * Whether the cancelled {@code call} was cancelled by its call timeout. Reading this ends the
     * call's timeout (okio has no other way to ask), so OkHttp no longer turns the call's failure
     * into its own {@code InterruptedIOException("timeout")}: the caller throws that itself.
     */
    static boolean timedOut(Call call) {
        return call.isCanceled() && call.timeout() instanceof AsyncTimeout timeout && timeout.exit();
    }

    /**
     * Whether {@code call}, already ended with {@code failure}, was ended by its own call timeout:
     * OkHttp then cancelled it and failed it with {@code InterruptedIOException("timeout")}.
     */
    static boolean endedByTimeout(Call call, IOException failure) {
        return call.isCanceled() && failure instanceof InterruptedIOException && "timeout".equals(failure.getMessage());
    }
}
