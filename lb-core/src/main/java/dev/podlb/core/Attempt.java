package dev.podlb.core;

import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One attempt of a call on one pod, from the moment its request leaves to its outcome: while it
 * runs it counts among the pod's requests in flight, and when it ends its outcome reaches the
 * pod's live figures and health, and its duration the pod's latency average when the load
 * balancer keeps one ({@link dev.podlb.core.pick.LiveFigure#LATENCY}). End it exactly once, from
 * any thread; later calls are ignored.
 *
 * <pre>{@code
 * Attempt attempt = lb.start(pod);
 * try {
 *     int status = send(pod);
 *     attempt.end(Outcome.response(status));
 * } catch (IOException e) {
 *     attempt.end(Outcome.ioFailure(e));
 * }
 * }</pre>
 */
public final class Attempt {
    private static final VarHandle ENDED;

    static {
        try {
            ENDED = MethodHandles.lookup().findVarHandle(Attempt.class, "ended", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Endpoint endpoint;
    /** {@code null} when the pod left the set before the attempt started: nothing then tracks it. */
    private final PodState pod;
    /** Holds the latency clock too: a field less in an object made for every attempt. */
    private final OutlierDetector detector;
    /** 0 when the load balancer keeps no latency: the attempt then reads no clock. */
    private final long startNanos;
    /** The pod's ejection generation as the attempt started: an attempt from before a readmission does not decide its trial. */
    private final int generation;
    @SuppressWarnings("unused") // through ENDED
    private volatile boolean ended;

    Attempt(Endpoint endpoint, PodState pod, OutlierDetector detector) {
        this.endpoint = endpoint;
        this.pod = pod;
        this.detector = detector;
        Scheduler clock = detector.latencyClock();
        this.startNanos = clock != null && pod != null ? clock.nanoTime() : 0;
        if (pod != null) {
            pod.startAttempt();
            // Read after the count's write, not before: the pod's line is then this core's already,
            // where other threads' attempts on the pod would otherwise make it move twice.
            this.generation = pod.generation();
        } else {
            this.generation = 0;
        }
    }

    /** The pod this attempt went to. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** Ends the attempt with how it went, for the pod's health and live figures. */
    public void end(Outcome outcome) {
        if (finish()) {
            Scheduler clock = detector.latencyClock();
            if (clock != null) {
                long now = clock.nanoTime();
                pod.endAttempt(now - startNanos, now);
            } else {
                pod.endAttempt();
            }
            detector.report(pod, outcome, generation);
        }
    }

    /**
     * Ends the attempt without an outcome: the application gave up on the call (cancelled it),
     * which says nothing of the pod. It no longer counts in flight; its health is untouched.
     */
    public void cancel() {
        if (finish()) {
            pod.endAttempt();
        }
    }

    private boolean finish() {
        return ENDED.compareAndSet(this, false, true) && pod != null;
    }

    @Override
    public String toString() {
        return "Attempt{" + endpoint.authority() + (ended ? ", ended" : "") + "}";
    }
}
