package dev.podlb.core;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** Holds each drain a load balancer hands over until the test runs it: the test chooses every interleaving. */
public final class QueuedExecutor implements Executor {
    private final Queue<Runnable> queued = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable command) {
        queued.add(command);
    }

    /** Runs what is queued, and what that queues, on the calling thread. */
    public void runAll() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queued.poll();
            }
            if (next == null) {
                return;
            }
            next.run();
        }
    }

    public synchronized int queued() {
        return queued.size();
    }
}
