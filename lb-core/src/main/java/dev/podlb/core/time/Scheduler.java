package dev.podlb.core.time;

import java.time.Duration;

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
