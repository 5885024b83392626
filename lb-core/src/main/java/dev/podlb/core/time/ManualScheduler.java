package dev.podlb.core.time;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;

/**
 * A {@link Scheduler} whose time moves only when told to, for tests: {@link #advance(Duration)}
 * runs, on the calling thread and in time order, every task that falls due. Its
 * {@link #executor()} runs state changes at once on the thread that hands them over, so a test
 * needs no waiting: when {@code resolver.update(...)} or {@code lb.report(...)} returns, the load
 * balancer has applied what it caused.
 *
 * <pre>{@code
 * ManualScheduler time = new ManualScheduler();
 * LoadBalancer lb = LoadBalancer.builder("backend").scheduler(time)...build();
 * // ... eject a pod ...
 * time.advance(Duration.ofSeconds(30));   // its ejection ends now, with no sleep
 * }</pre>
 */
public final class ManualScheduler implements Scheduler {
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private long now;
    private long sequence;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        Task t;
        synchronized (this) {
            t = new Task(now + Math.max(0, delay.toNanos()), sequence++, task);
            tasks.add(t);
        }
        return () -> {
            synchronized (this) {
                tasks.remove(t);
            }
        };
    }

    /** Runs each task at once, on the calling thread. */
    @Override
    public Executor executor() {
        return Runnable::run;
    }

    /** Moves time forward by {@code step}, running each task as its time comes. */
    public void advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("time cannot go back: advance(" + step + ")");
        }
        long target;
        synchronized (this) {
            target = now + step.toNanos();
        }
        while (true) {
            Task due;
            synchronized (this) {
                Task next = tasks.peek();
                if (next == null || next.at > target) {
                    now = target;
                    return;
                }
                due = tasks.poll();
                now = due.at;
            }
            due.task.run(); // outside the lock: a task may schedule another
        }
    }

    /** How many tasks are waiting. */
    public synchronized int pendingTasks() {
        return tasks.size();
    }

    @Override
    public synchronized String toString() {
        return "ManualScheduler{now=" + Duration.ofNanos(now) + ", " + tasks.size() + " pending}";
    }

    private static final class Task implements Comparable<Task> {
        final long at;
        final long order;
        final Runnable task;

        Task(long at, long order, Runnable task) {
            this.at = at;
            this.order = order;
            this.task = task;
        }

        @Override
        public int compareTo(Task o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(order, o.order);
        }
    }
}
