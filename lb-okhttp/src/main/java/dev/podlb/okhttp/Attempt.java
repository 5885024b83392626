package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.health.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import okhttp3.Call;
import okhttp3.Request;

/**
 * One attempt of a call on one pod, from its pick to its outcome: the one place where an attempt
 * starts and ends. Starting it tells the listener and counts it among the pod's requests in flight
 * (lb-core's {@link dev.podlb.core.Attempt}, which least-request pickers read); ending it charges
 * the outcome to the pod that answered and feeds the pod's latency. An attempt whose response the
 * caller receives ends when its body is done ({@link AttemptBody}), so it is started on the thread
 * that runs the call and may end on the thread that reads the body, or on the leak detector's;
 * it ends once, and ending it again does nothing. It is also the listener of the call it runs on
 * ({@link WireEvents}), so that an attempt allocates one object of its own, not two.
 */
class Attempt extends WireEvents {
    private static final VarHandle ENDED;

    static {
        try {
            ENDED = MethodHandles.lookup().findVarHandle(Attempt.class, "ended", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Endpoint picked;
    private final dev.podlb.core.Attempt onPod;
    @SuppressWarnings("unused") // through ENDED: a field, not an AtomicBoolean beside the attempt, on every call
    private volatile boolean ended;

    private Attempt(Balanced balanced, Request request, Endpoint picked) {
        super(balanced, request);
        this.picked = picked;
        this.onPod = balanced.lb().start(picked);
    }

    /**
     * Starts attempt {@code number} (1 for the first) of {@code request} on {@code pod}, which runs
     * on {@code call}: the attempt hears that call's events from here on. Only an attempt whose
     * {@code listener} hears something keeps it and its start time ({@link Heard}): most carry neither.
     */
    static Attempt start(Balanced balanced, Request request, Endpoint pod, int number, CallListener listener, Call call) {
        Attempt attempt;
        if (listener == CompositeCallListener.NONE) {
            attempt = new Attempt(balanced, request, pod);
        } else {
            listener.picked(balanced.name(), request, pod, number);
            attempt = new Heard(balanced, request, pod, listener);
        }
        attempt.listenTo(call);
        return attempt;
    }

    /**
     * Ends the attempt with {@code outcome}, charged to the pod at {@code answeredBy}: the picked
     * pod unless the wire says another answered. Returns the pod charged.
     */
    Endpoint end(InetSocketAddress answeredBy, Outcome outcome) {
        Endpoint pod = chargedFor(answeredBy);
        if (!ENDED.compareAndSet(this, false, true)) {
            return pod;
        }
        if (pod == picked) {
            onPod.end(outcome);
        } else {
            onPod.cancel(); // the picked pod served nothing: its count in flight ends, its health is untouched
            balanced.lb().report(pod, outcome);
        }
        charged(pod, outcome);
        return pod;
    }

    /** The attempt ended with {@code outcome}, charged to {@code pod}: for a listener to hear. */
    void charged(Endpoint pod, Outcome outcome) {}

    /** The pod an outcome is charged to: the picked pod unless {@code answeredBy} names another. */
    Endpoint chargedFor(InetSocketAddress answeredBy) {
        return answeredBy == null || answeredBy.equals(picked.socketAddress()) ? picked : balanced.endpointAt(answeredBy);
    }

    /** Whether the attempt has ended. */
    boolean ended() {
        return ended;
    }

    /**
     * Ends the attempt charging no pod: the application cancelled it, OkHttp's cache answered, or
     * its response was dropped unread.
     */
    void endUncharged() {
        if (ENDED.compareAndSet(this, false, true)) {
            onPod.cancel();
        }
    }

    /** What the attempt is, for a log line: the service, the pod and the request's method and URL. */
    String describe() {
        return balanced.name() + ": " + request.method() + " " + request.url().redact() + " to " + picked.authority();
    }

    /** An attempt a listener hears: told of its pick, and of its outcome with the attempt's duration. */
    private static final class Heard extends Attempt {
        private final CallListener listener;
        private final long startNanos;

        Heard(Balanced balanced, Request request, Endpoint picked, CallListener listener) {
            super(balanced, request, picked);
            this.listener = listener;
            this.startNanos = System.nanoTime();
        }

        @Override
        void charged(Endpoint pod, Outcome outcome) {
            listener.outcome(balanced.name(), request, pod, outcome, System.nanoTime() - startNanos);
        }
    }
}
