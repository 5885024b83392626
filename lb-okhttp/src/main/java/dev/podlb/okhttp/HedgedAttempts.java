package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A hedged call: its first attempt, and, once that has gone unanswered for the service's hedging
 * delay, a second on another pod, drawn from the retry budget. The first response that is not a
 * status the service retries wins; the other attempt is cancelled and charged to its pod as
 * neither success nor failure ({@link dev.podlb.core.Attempt#cancel()}). A failed attempt is
 * charged as any other, and the call waits for the one still running; when both fail, the call
 * fails with the last failure.
 *
 * <p>Both attempts run on calls of their own ({@link AttemptCalls}) on this class's daemon
 * threads, so either can be cancelled without cancelling the application's call; the thread
 * running the application's call waits for the first answer. Cancelling the application's call,
 * or its call timeout, cancels both.
 */
final class HedgedAttempts implements AutoCloseable {
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "podlb-hedged-attempt");
        thread.setDaemon(true);
        return thread;
    });
    private final AttemptCalls attemptCalls;
    private final CallListener listener;

    HedgedAttempts(AttemptCalls attemptCalls, CallListener listener) {
        this.attemptCalls = attemptCalls;
        this.listener = listener;
    }

    /** One attempt of the hedged call, on its own call and thread. */
    private final class Running {
        final Attempt attempt;
        final Call call;
        final long startNanos = System.nanoTime();
        private boolean lost;
        private Result result;

        Running(Attempt attempt, Call call) {
            this.attempt = attempt;
            this.call = call;
        }

        /** Hands the attempt's result to the waiting call, unless the attempt lost meanwhile. */
        synchronized void deliver(Result delivered, BlockingQueue<Result> results) {
            if (lost) {
                delivered.discard();
            } else {
                result = delivered;
                results.add(delivered);
            }
        }

        /** The other attempt won: this one is cancelled and charged to no pod. */
        synchronized void lose() {
            lost = true;
            attempt.endUncharged(); // at once: no longer in flight, whenever its thread sees the cancel
            call.cancel();
            if (result != null) {
                result.discard(); // delivered but never taken
            }
        }
    }

    private record Result(Running running, Response response, IOException failure, boolean bodyDone) {
        void discard() {
            if (response != null) {
                response.close();
            }
            running.attempt.endUncharged();
        }
    }

    /**
     * Runs the hedged call of {@code request} to {@code balanced}; each attempt's call leaves with
     * the service's pin header removed, as every balanced attempt does.
     */
    Response run(Request request, Balanced balanced, PickRequest pick, AttemptPolicy policy, CallControl control,
                 Call okCall, CallRecord call) throws IOException {
        BlockingQueue<Result> results = new LinkedBlockingQueue<>();
        List<Running> running = new ArrayList<>();
        Endpoint first;
        try {
            first = balanced.lb().pickAvoiding(pick, Set.of());
        } catch (NoEndpointException e) {
            throw call.failed(CallOutcome.Kind.NO_POD, new NoPodAvailableException(e));
        }
        running.add(launch(first, 1, request, balanced, control, call, results));
        Result answer = poll(results, balanced.hedgeDelay().nanos(), running, okCall, call);
        if (answer == null) {
            Endpoint second = hedgePod(balanced, pick, first, call, request);
            if (second != null) {
                running.add(launch(second, 2, request, balanced, control, call, results));
            }
            answer = poll(results, Long.MAX_VALUE, running, okCall, call);
        }
        IOException failure = null;
        int answered = 0;
        while (true) {
            answered++;
            Running attempt = answer.running();
            boolean othersRunning = answered < running.size();
            if (answer.failure() != null && okCall.isCanceled()) {
                loseAllBut(attempt, running);
                throw LoadBalancingInterceptor.stopped(okCall, attempt.call, attempt.attempt, answer.failure(), call);
            }
            boolean unusable = answer.failure() != null || policy.retryStatus(answer.response().code());
            if (unusable && !othersRunning && running.size() < 2) {
                // The first attempt failed before the hedging delay: its second goes now, as a retry would.
                Endpoint second = hedgePod(balanced, pick, first, call, request);
                if (second != null) {
                    running.add(launch(second, 2, request, balanced, control, call, results));
                    othersRunning = true;
                }
            }
            if (answer.failure() != null) {
                IOException e = answer.failure();
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
                attempt.attempt.end(attempt.attempt.answeredOrConnected(), AttemptPolicy.outcomeOf(e, attempt.attempt));
                if (!othersRunning) {
                    throw call.failed(CallOutcome.Kind.FAILED, e);
                }
            } else {
                Response response = answer.response();
                balanced.hedgeDelay().answered(System.nanoTime() - attempt.startNanos);
                if (!othersRunning || !policy.retryStatus(response.code())) {
                    loseAllBut(attempt, running);
                    return won(answer, balanced, okCall, call);
                }
                attempt.attempt.end(attempt.attempt.answeredBy(), Outcome.response(response.code()));
                response.close();
            }
            answer = poll(results, Long.MAX_VALUE, running, okCall, call);
        }
    }

    private static void loseAllBut(Running winner, List<Running> running) {
        for (Running other : running) {
            if (other != winner) {
                other.lose();
            }
        }
    }

    /** The pod for the hedge, when the budget holds a retry and another pod is there; else {@code null}. */
    private Endpoint hedgePod(Balanced balanced, PickRequest pick, Endpoint first, CallRecord call, Request request) {
        Endpoint second;
        try {
            second = balanced.lb().pickAvoiding(pick, Set.of(first.socketAddress()));
        } catch (NoEndpointException e) {
            return null;
        }
        if (second.socketAddress().equals(first.socketAddress())) {
            return null;
        }
        if (!balanced.retries().withdraw()) {
            call.budgetExhausted();
            listener.retryBudgetExhausted(balanced.name(), request, first, Outcome.timeout(new InterruptedIOException("hedging delay")));
            return null;
        }
        return second;
    }

    private Running launch(Endpoint pod, int number, Request request, Balanced balanced, CallControl control,
                           CallRecord call, BlockingQueue<Result> results) {
        Call attemptCall = control.newAttemptCall();
        Attempt attempt = Attempt.start(balanced, request, pod, number, listener, attemptCall);
        call.attempted();
        Running running = new Running(attempt, attemptCall);
        threads.execute(() -> {
            Result result;
            try {
                Response response = attemptCalls.execute(attemptCall, new AttemptCalls.Route(balanced, pod, true));
                boolean bodyDone = ShortBodies.buffer(response, balanced.service().bufferResponsesUpTo);
                result = new Result(running, response, null, bodyDone);
            } catch (IOException e) {
                result = new Result(running, null, PodPortSocketFactory.namingPodPort(e, pod, request.url().port()), false);
            } catch (RuntimeException | Error e) {
                result = new Result(running, null, new IOException("hedged attempt failed: " + e, e), false);
            }
            running.deliver(result, results);
        });
        return running;
    }

    /** The next answer, or {@code null} after {@code nanos}; an interrupted wait cancels every attempt. */
    private static Result poll(BlockingQueue<Result> results, long nanos, List<Running> running, Call okCall,
                               CallRecord call) throws IOException {
        try {
            return nanos == Long.MAX_VALUE ? results.take() : results.poll(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.forEach(Running::lose);
            okCall.cancel();
            throw call.failed(CallOutcome.Kind.CANCELED, new InterruptedIOException("interrupted while waiting for a hedged attempt"));
        }
    }

    private static Response won(Result answer, Balanced balanced, Call okCall, CallRecord call) {
        Running attempt = answer.running();
        Response response = answer.response();
        InetSocketAddress answeredBy = attempt.attempt.answeredBy();
        Outcome answered = attempt.attempt.answered(response);
        if (response.networkResponse() == null) {
            attempt.attempt.endUncharged(); // OkHttp's cache answered
            return call.returned(response, true);
        }
        if (attempt.attempt.leftHost()) {
            attempt.attempt.end(answeredBy, answered); // the body is the other host's
            return call.returned(response, false);
        }
        return call.returned(AttemptBody.returned(response, attempt.attempt, answeredBy, answered, answer.bodyDone(), okCall,
                attempt.call), false);
    }

    @Override
    public void close() {
        threads.shutdown();
    }
}
