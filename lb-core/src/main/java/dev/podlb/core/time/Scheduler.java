package dev.podlb.core.time;

import dev.podlb.core.internal.Executors;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Where podlb reads the time and runs delayed work (an ejection's end, a refresh). Everything that
 * waits goes through one of these, so tests substitute a {@link ManualScheduler} and move time
 * forward instead of sleeping.
 */
public interface Scheduler {
    /** Monotonic time in nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
    long nanoTime();

    /** Runs {@code task} once, after {@code delay}; the returned handle cancels it. */
    Cancellable schedule(Duration delay, Runnable task);

    /**
     * Where a load balancer applies the changes other threads hand it (a new set from discovery,
     * an ejection a report triggered, a timer's readmission), one at a time per load balancer, not
     * on the thread that handed it over (see {@code LoadBalancer}'s class documentation for the two
     * exceptions). By default a small pool of podlb daemon threads
     * shared by every load balancer; a {@link ManualScheduler} runs them on the calling thread, so
     * that in a test a change has been applied when the call that caused it returns.
     */
    default Executor executor() {
        return Executors.stateUpdates();
    }

    /** Real time, and one shared daemon thread that exists only while work is scheduled. */
    static Scheduler system() {
        return SystemScheduler.INSTANCE;
    }

    /** A scheduled task that can still be called off. */
    @FunctionalInterface
    interface Cancellable {
        /** Stops the task if it has not started; does nothing otherwise. */
        void cancel();
    }
}
