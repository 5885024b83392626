package dev.podlb.grpc;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import io.grpc.ClientStreamTracer;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * Counts each stream on one pod as a podlb {@link Attempt}, from the stream's start to its close
 * (not to its headers: a slow stream counts in flight and in latency until it ends), and charges
 * its status to that pod, and adds the pod to the call's {@link TriedPods}. One factory per
 * connected pod, made when the picker is built.
 */
final class OutcomeTracer extends ClientStreamTracer.Factory {
    private final LoadBalancer lb;
    private final Endpoint endpoint;
    private final StatusOutcomes outcomes;

    OutcomeTracer(LoadBalancer lb, Endpoint endpoint, StatusOutcomes outcomes) {
        this.lb = lb;
        this.endpoint = endpoint;
        this.outcomes = outcomes;
    }

    /** Called by gRPC on the thread creating the stream, after the pick chose this pod. */
    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        TriedPods tried = info.getCallOptions().getOption(TriedPods.KEY);
        if (tried != null) {
            tried.add(endpoint.socketAddress());
        }
        return new Tracer(lb.start(endpoint), outcomes, deadline(info.getCallOptions().getDeadline(),
                Context.current().getDeadline()));
    }

    /**
     * The call's deadline: the sooner of its call options' and its {@link Context}'s, where gRPC
     * creates the stream with the call's context attached (a call started on the caller's thread
     * is); elsewhere the current context has no deadline and the call options' alone counts.
     */
    private static Deadline deadline(Deadline options, Deadline context) {
        if (options == null || context == null) {
            return options != null ? options : context;
        }
        return options.minimum(context);
    }

    private static final class Tracer extends ClientStreamTracer {
        private final Attempt attempt;
        private final StatusOutcomes outcomes;
        private final Deadline deadline;

        Tracer(Attempt attempt, StatusOutcomes outcomes, Deadline deadline) {
            this.attempt = attempt;
            this.outcomes = outcomes;
            this.deadline = deadline;
        }

        /**
         * Called once per stream, on a transport thread. With gRPC's retries on (the default), a call
         * whose deadline passes closes its attempt's stream as CANCELLED ("thrown away because
         * RetriableStream committed"), like a call the application cancels: a CANCELLED stream whose
         * call deadline (from its options or its context) has passed is read as DEADLINE_EXCEEDED.
         */
        @Override
        public void streamClosed(Status status) {
            if (status.getCode() == Status.Code.CANCELLED && deadline != null && deadline.isExpired()) {
                status = Status.DEADLINE_EXCEEDED.withDescription(status.getDescription());
            }
            outcomes.end(attempt, status);
        }
    }
}
