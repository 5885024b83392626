package dev.podlb.benchmarks.fleet;

/**
 * One library's way of sending a call to a pod: choose it, tell the library the call started,
 * and tell it how the call ended, as its HTTP integration does.
 */
public interface Balancer {
    /** Chooses the pod for one call and records its start. */
    Call start();

    /** One call on one pod. */
    interface Call {
        /** Index of the pod in {@link Fleet#endpoints()}. */
        int pod();

        String url();

        void end(int status);

        void fail(Exception error);
    }
}
