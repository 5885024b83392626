package dev.podlb.okhttp;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * The application's call as its attempts see it: its cancellation, which the call timeout also
 * causes (OkHttp's call timeout cancels the call), reaches the attempt running on a call of its
 * own (or the attempts, when hedged) and wakes a backoff at once; and its deadline bounds each such attempt's own call timeout.
 *
 * <p>Most calls make one attempt on the application's call and never wait: this starts listening
 * to the call only when a retry, a wait or a hedge first needs it ({@link #watch}), and reads the
 * call's cancellation right after it starts, so that a cancellation from before is not missed.
 *
 * <p>{@link #canceled} runs on the thread that cancels (the application's, or okio's watchdog for
 * the call timeout), or on the thread that runs the call for a cancellation from before this
 * listened; the rest on the thread that runs the call.
 */
final class CallControl extends EventListener {
    private final Call call;
    private final long deadlineNanos;
    private final CountDownLatch cancellation = new CountDownLatch(1);
    /** The calls of attempts after the first, cancelled with the call. */
    private final Set<Call> attempts = ConcurrentHashMap.newKeySet();

    private CallControl(Call call, long deadlineNanos) {
        this.call = call;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Watches {@code call}, whose interceptor started at {@code startNanos} ({@link System#nanoTime()},
     * read only when the call has a timeout: unused otherwise), from its first attempt after its
     * first, or its first wait or hedge, on. Thread that runs the call.
     */
    static CallControl watch(Call call, long startNanos) {
        long timeout = call.timeout().timeoutNanos();
        CallControl control = new CallControl(call, timeout > 0 ? startNanos + timeout : Long.MAX_VALUE);
        call.addEventListener(control);
        if (call.isCanceled()) {
            control.canceled(call); // before it listened
        }
        return control;
    }

    /**
     * A clone of the call for an attempt: cancelled with the call, and given what is left of the
     * call's timeout, which still bounds the reading of its response body once the call returned.
     */
    Call newAttemptCall() {
        Call attempt = call.clone();
        if (deadlineNanos != Long.MAX_VALUE) {
            attempt.timeout().timeout(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        attempts.add(attempt);
        if (call.isCanceled()) {
            attempt.cancel();
        }
        return attempt;
    }

    /** Waits up to {@code nanos}; returns at once when the call is cancelled or times out. */
    void pause(long nanos) throws InterruptedException {
        if (nanos > 0) {
            cancellation.await(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void canceled(Call canceled) {
        cancellation.countDown();
        attempts.forEach(Call::cancel);
    }
}
