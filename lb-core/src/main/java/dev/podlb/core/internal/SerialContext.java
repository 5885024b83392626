package dev.podlb.core.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order they were submitted, the role gRPC-java's
 * {@code SynchronizationContext} plays: whatever thread submits a task, no two tasks of one
 * context ever run at once, so the state they touch needs no lock.
 *
 * <p>Tasks run on the {@code runner} given at construction: a pool thread for a load balancer,
 * the submitting thread itself when the runner is {@code Runnable::run}. Only one drain runs at a
 * time; a task submitted while another runs (from any thread, or from that task itself) is queued
 * and run by the drain in progress, after the tasks before it. No lock is held while a task runs.
 * A task that throws is logged and the drain goes on; a runner that throws instead of taking a
 * drain (a pool refusing work while the JVM shuts down, or a broken executor) has it run on the
 * submitting thread, so no throw ever leaves the context unable to drain.
 */
public final class SerialContext implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialContext.class);

    private final String name;
    private final Executor runner;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True from the moment a drain is handed to the runner until that drain finds the queue empty. */
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile Thread drainingThread;

    /**
     * @param name   what the context serializes, for logs: {@code "load balancer backend"}
     * @param runner where drains run; it must run each given task eventually
     */
    public SerialContext(String name, Executor runner) {
        this.name = name;
        this.runner = runner;
    }

    /** Queues {@code task} and makes sure a drain will run it. */
    @Override
    public void execute(Runnable task) {
        executeLater(task);
        drain();
    }

    /**
     * Queues {@code task} without starting a drain: a caller that must queue under its own lock
     * (to fix the order of tasks) calls this there, and {@link #drain()} after unlocking.
     */
    public void executeLater(Runnable task) {
        tasks.add(task);
    }

    /** Starts a drain on the runner unless one is under way; that one will reach every queued task. */
    public void drain() {
        if (!tasks.isEmpty() && draining.compareAndSet(false, true)) {
            Drain drain = new Drain();
            try {
                runner.execute(drain);
            } catch (Throwable e) {
                // The shared pool refuses only while the JVM shuts down; any other runner may throw
                // anything. Either way the flag is set and no drain may be coming: run here, so that
                // the context never stops applying state changes.
                if (!(e instanceof RejectedExecutionException)) {
                    log.warn("{}: its executor {} failed to take a drain; running it on the calling thread",
                            name, runner, e);
                }
                drain.run();
            }
        }
    }

    /** One hand-over of the queue to the runner: runs once, even if the runner both runs it and throws. */
    private final class Drain extends AtomicBoolean implements Runnable {
        private static final long serialVersionUID = 1L;

        @Override
        public void run() {
            if (compareAndSet(false, true)) {
                runQueued();
            }
        }
    }

    /**
     * Runs the queued tasks on the calling thread, unless a drain is under way elsewhere (which
     * will run them): for a caller that must see its queued work applied before it goes on.
     */
    public void drainHere() {
        if (!tasks.isEmpty() && draining.compareAndSet(false, true)) {
            runQueued();
        }
    }

    /** Whether the calling thread is running one of this context's tasks now. */
    public boolean isCurrentThread() {
        return drainingThread == Thread.currentThread();
    }

    /**
     * Fails unless the calling thread is running one of this context's tasks: for work that
     * touches state only the context may touch, as gRPC's
     * {@code throwIfNotInThisSynchronizationContext}.
     *
     * @throws IllegalStateException naming the context and the calling thread
     */
    public void checkCurrentThread() {
        if (drainingThread != Thread.currentThread()) {
            throw new IllegalStateException(name + ": called on thread " + Thread.currentThread().getName()
                    + "; expected a task of its serial context");
        }
    }

    private void runQueued() {
        while (true) {
            drainingThread = Thread.currentThread();
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (Throwable t) {
                    log.error("{}: a state update failed; later updates still run", name, t);
                }
            }
            drainingThread = null;
            draining.set(false);
            // A task queued after the last poll and before the flag cleared found the flag set and
            // left the work to this drain: take it back unless another drain already has.
            if (tasks.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "SerialContext{" + name + ", " + tasks.size() + " queued}";
    }
}
