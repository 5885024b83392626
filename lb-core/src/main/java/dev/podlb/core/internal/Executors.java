package dev.podlb.core.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads podlb runs its own work on. */
public final class Executors {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private Executors() {}

    /**
     * Where load balancers apply their state changes (new sets, ejections, readmissions): a pool
     * of at most two daemon threads, {@code podlb-update-<n>}, shared by every load balancer and
     * gone after a second without work. Each load balancer's changes still run one at a time, in
     * order, through its own {@link SerialContext}; the pool only keeps them off discovery,
     * timer and request threads.
     */
    public static Executor stateUpdates() {
        return StateUpdates.POOL;
    }

    /**
     * Where a load balancer's long work off its serial context runs (a sticky table's settle over
     * thousands of pods, tenths of a second): one daemon thread, {@code podlb-background-<n>},
     * shared by every load balancer and gone after a second without work, so that such work never
     * holds the {@link #stateUpdates()} pool's threads that every load balancer's changes need.
     */
    public static Executor background() {
        return Background.POOL;
    }

    private static final class Background {
        static final ExecutorService POOL = singleIdleThread("background");
    }

    private static final class StateUpdates {
        static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(2, 2, 1, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("update"));

        static {
            POOL.allowCoreThreadTimeOut(true);
        }
    }

    /**
     * One daemon thread, named {@code podlb-<name>-<n>}, that ends after a second without work:
     * nothing lingers once podlb is idle or closed, and tasks run in the order given.
     */
    public static ExecutorService singleIdleThread(String name) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemonThreads(name));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Daemon threads named {@code podlb-<name>-<n>}: never keep an application's JVM alive. */
    public static ThreadFactory daemonThreads(String name) {
        return task -> {
            Thread thread = new Thread(task, "podlb-" + name + "-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
