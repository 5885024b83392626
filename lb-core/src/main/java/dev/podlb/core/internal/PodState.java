package dev.podlb.core.internal;

import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.time.Scheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One pod of one load balancer, tracked for as long as the pod is in the set (and, when it leaves
 * while ejected, until its ejection ends).
 *
 * <p>Two kinds of fields, kept apart by who writes them. The live figures ({@link #inFlight},
 * {@link #consecutiveFailures}, the latency average, {@link #lastFailure}) are written by request
 * threads without locks. The ejection state is written only by the load balancer's
 * {@link SerialContext}: {@link #ejected} and {@link #onTrial} are volatile so that the request
 * path and operators read them current; the rest is read and written on that context alone.
 */
public final class PodState implements EndpointStats {
    /** How fast the latency average forgets: an observation's weight halves in about 7 s. */
    private static final double DECAY_NANOS = 10e9;

    final InetSocketAddress address;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** The failure-rate detector, only when the policy has one (it takes locks and memory). */
    final CircuitBreaker failureRate;
    private volatile long latencyNanos;
    private volatile long latencyStampNanos;
    volatile Outcome lastFailure;

    volatile boolean ejected;
    volatile boolean onTrial;

    // Serial context only.
    int ejections;
    long healthySinceNanos = Long.MIN_VALUE;
    Scheduler.Cancellable readmission;
    boolean capNoticed;

    PodState(InetSocketAddress address, CircuitBreaker failureRate) {
        this.address = address;
        this.failureRate = failureRate;
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public long latencyNanos() {
        return latencyNanos;
    }

    @Override
    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** Whether the pod is out of rotation now. */
    public boolean isEjected() {
        return ejected;
    }

    /** An attempt starts on this pod. Any thread. */
    public void startAttempt() {
        inFlight.incrementAndGet();
    }

    /** An attempt on this pod ended after {@code durationNanos}. Any thread. */
    public void endAttempt(long durationNanos, long nowNanos) {
        inFlight.decrementAndGet();
        recordLatency(durationNanos, nowNanos);
    }

    /** An attempt on this pod was abandoned by the application: it says nothing of the pod. Any thread. */
    public void cancelAttempt() {
        inFlight.decrementAndGet();
    }

    /**
     * Folds one attempt's duration into the average, weighing the old average by how long ago it
     * was last updated. Two attempts ending at once may each overwrite the other's update: the
     * average is a hint for pickers, and a lost sample costs less than a lock on every attempt.
     */
    private void recordLatency(long durationNanos, long nowNanos) {
        long previous = latencyNanos;
        if (previous == 0) {
            latencyNanos = Math.max(1, durationNanos);
        } else {
            double keep = Math.exp(-Math.max(0, nowNanos - latencyStampNanos) / DECAY_NANOS);
            latencyNanos = Math.max(1, (long) (previous * keep + durationNanos * (1 - keep)));
        }
        latencyStampNanos = nowNanos;
    }

    @Override
    public String toString() {
        return "PodState{" + address + (ejected ? ", ejected" : "") + (onTrial ? ", on trial" : "") + ", in flight "
                + inFlight.get() + ", " + consecutiveFailures.get() + " failures in a row}";
    }
}
