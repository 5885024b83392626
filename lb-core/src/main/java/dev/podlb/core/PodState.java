package dev.podlb.core;

import dev.podlb.core.health.Outcome;
import dev.podlb.core.internal.SerialContext;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.time.Scheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * One pod of one load balancer, tracked for as long as the pod is in the set (and, when it leaves
 * while ejected, until its ejection ends).
 *
 * <p>Two kinds of fields, kept apart by who writes them. The live figures (requests in flight,
 * failures in a row, the latency average, {@link #lastFailure}) are written by request
 * threads without locks. The ejection state is written only by the load balancer's
 * {@link SerialContext}: {@link #ejected}, {@link #onTrial} and {@link #generation} are volatile
 * so that the request path and operators read them current; the rest is read and written on that
 * context alone, but for the flag that keeps one failure decision queued at a time, claimed by a
 * request thread and released by the context.
 */
final class PodState extends PodHotFields implements EndpointStats {
    /**
     * How fast the latency average forgets a sample below it: its weight falls by e in 10 s, as
     * in Linkerd's and Finagle's Peak-EWMA.
     */
    private static final double DECAY_NANOS = 10e9;

    final InetSocketAddress address;
    private static final VarHandle IN_FLIGHT;
    private static final VarHandle FAILURES;
    private static final VarHandle DECISION_QUEUED;
    private static final VarHandle LATENCY;
    private static final VarHandle LATENCY_STAMP;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            IN_FLIGHT = lookup.findVarHandle(PodHotFields.class, "inFlight", int.class);
            FAILURES = lookup.findVarHandle(PodHotFields.class, "consecutiveFailures", int.class);
            DECISION_QUEUED = lookup.findVarHandle(PodState.class, "decisionQueued", boolean.class);
            LATENCY = lookup.findVarHandle(PodHotFields.class, "latencyNanos", long.class);
            LATENCY_STAMP = lookup.findVarHandle(PodHotFields.class, "latencyStampNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // The fields every attempt touches (inFlight, consecutiveFailures, the latency average, ejected,
    // onTrial, generation, failureRate, allInFlight) are PodHotFields', laid out first; the fields
    // below, rarely written, and the padding keep them off the cache lines of the next pod's state.
    volatile Outcome lastFailure;

    /** Whether a run of failures past the threshold has a decision queued on the serial context. */
    @SuppressWarnings("unused") // through DECISION_QUEUED
    private volatile boolean decisionQueued;

    // Serial context only.
    int ejections;
    long healthySinceNanos = Long.MIN_VALUE;
    Scheduler.Cancellable readmission;
    boolean capNoticed;
    /** The count of the last applied set that held this pod ({@link OutlierDetector#applied}). */
    int appliedIn;

    /**
     * Room so that the cold fields and the next object's header reach 64 bytes past the last hot
     * field: with the hot fields' 40 bytes, the object is 104 bytes in all (80 without), and the
     * hot fields of two pods' states that lie next to each other never share a cache line.
     */
    @SuppressWarnings("unused")
    private long pad1, pad2, pad3;

    PodState(InetSocketAddress address, CircuitBreaker failureRate, LongAdder allInFlight) {
        super(failureRate, allInFlight);
        this.address = address;
    }

    @Override
    public int inFlight() {
        return inFlight;
    }

    @Override
    public long latencyNanos() {
        return latencyNanos;
    }

    @Override
    public long latencyUpdatedNanos() {
        return latencyStampNanos;
    }

    @Override
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** One more failure in a row; returns how many now. Any thread. */
    int addFailure() {
        return (int) FAILURES.getAndAdd(this, 1) + 1;
    }

    /** A success: the run of failures ends. Read before writing, so that a healthy pod's line stays shared. */
    void endFailures() {
        if (consecutiveFailures != 0) {
            consecutiveFailures = 0;
        }
    }

    /** Claims the one queued decision about a run of failures; false when one is queued already. Any thread. */
    boolean queueDecision() {
        return !decisionQueued && DECISION_QUEUED.compareAndSet(this, false, true);
    }

    /** The queued decision runs: the next run of failures past the threshold may queue another. Serial context. */
    void decisionTaken() {
        decisionQueued = false;
    }

    /** Forgets the run of failures (after a decision about it). */
    void resetFailures() {
        consecutiveFailures = 0;
    }

    /** The pod's ejection generation now (see {@link #generation}). Any thread. */
    public int generation() {
        return generation;
    }

    /** Whether the pod is out of rotation now. */
    public boolean isEjected() {
        return ejected;
    }

    /** An attempt starts on this pod. Any thread. */
    public void startAttempt() {
        IN_FLIGHT.getAndAdd(this, 1);
        if (allInFlight != null) {
            allInFlight.increment();
        }
    }

    /** An attempt on this pod ended after {@code durationNanos}, for a load balancer that keeps latency. Any thread. */
    public void endAttempt(long durationNanos, long nowNanos) {
        endAttempt();
        recordLatency(durationNanos, nowNanos);
    }

    /**
     * An attempt on this pod ended, or was abandoned by the application (which says nothing of the
     * pod): it is no longer in flight. Any thread.
     */
    public void endAttempt() {
        IN_FLIGHT.getAndAdd(this, -1);
        if (allInFlight != null) {
            allInFlight.decrement();
        }
    }

    /**
     * Folds one attempt's duration into the average as Peak-EWMA does: a duration above the
     * average replaces it at once, so a pod that turns slow (a GC pause, a cold cache) looks slow
     * from its first slow answer; one below it is averaged in, weighing the old average by how
     * long ago it was last updated, so a pod that recovers regains its standing over seconds.
     * Two attempts ending at once may each overwrite the other's update: the average is a hint
     * for pickers, and a lost sample costs less than a lock on every attempt.
     */
    private void recordLatency(long durationNanos, long nowNanos) {
        long previous = latencyNanos;
        long average;
        if (previous == 0 || durationNanos >= previous) {
            average = Math.max(1, durationNanos);
        } else {
            double keep = decay(Math.max(0, nowNanos - latencyStampNanos) / DECAY_NANOS);
            average = Math.max(1, (long) (previous * keep + durationNanos * (1 - keep)));
        }
        // Release stores, not volatile ones: a picker's read sees each value whole and soon, as with a
        // volatile store, without the full fence a volatile store costs every attempt's end.
        LATENCY.setRelease(this, average);
        LATENCY_STAMP.setRelease(this, nowNanos);
    }

    /**
     * e<sup>-x</sup> for x ≥ 0. Attempts end a few milliseconds apart or less on a busy pod, where
     * x is below 2<sup>-10</sup> and four terms of the series are e<sup>-x</sup> to within
     * x<sup>4</sup>/24 (under 10<sup>-13</sup>): the same average as {@link Math#exp} at a
     * fraction of its cost on every attempt's end.
     */
    static double decay(double x) {
        return x < 0x1p-10 ? 1 - x * (1 - x * (0.5 - x * (1.0 / 6))) : Math.exp(-x);
    }

    @Override
    public String toString() {
        return "PodState{" + address + (ejected ? ", ejected" : "") + (onTrial ? ", on trial" : "") + ", in flight "
                + inFlight + ", " + consecutiveFailures + " failures in a row}";
    }
}
