package dev.podlb.benchmarks.fleet;

import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One library's way of sending a call to a pod: choose it, tell the library the call started,
 * and tell it how the call ended, as its HTTP integration does.
 */
public interface Balancer {
    /** Chooses the pod for one call and records its start. */
    Call start();

    /**
     * One call on one pod: the pod's index in {@link Fleet#endpoints()}, its URL, and what the
     * library is told when the call ends with a status or fails.
     */
    record Call(int pod, String url, IntConsumer onEnd, Consumer<Exception> onFail) {
        public void end(int status) {
            onEnd.accept(status);
        }

        public void fail(Exception error) {
            onFail.accept(error);
        }
    }
}
