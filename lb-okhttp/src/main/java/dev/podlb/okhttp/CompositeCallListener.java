package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.health.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import okhttp3.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every listener given to the interceptor, each called in turn; one that throws is logged and the rest still hear. */
final class CompositeCallListener implements CallListener {
    private static final Logger log = LoggerFactory.getLogger(CompositeCallListener.class);

    /** No listener at all: the interceptor then skips what only a listener would read (a call's outcome, its durations). */
    static final CallListener NONE = new CallListener() {
        @Override
        public String toString() {
            return "no listener";
        }
    };

    private final List<CallListener> listeners;

    private CompositeCallListener(List<CallListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** The listeners, each called in turn; {@link #NONE} when there are none. */
    static CallListener of(List<CallListener> listeners) {
        return listeners.isEmpty() ? NONE : new CompositeCallListener(listeners);
    }

    private void each(Consumer<CallListener> event) {
        for (CallListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("listener {} failed", listener, e);
            }
        }
    }

    @Override
    public void picked(String service, Request request, Endpoint pod, int attempt) {
        each(l -> l.picked(service, request, pod, attempt));
    }

    @Override
    public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {
        each(l -> l.outcome(service, request, pod, outcome, durationNanos));
    }

    @Override
    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int nextAttempt) {
        each(l -> l.retrying(service, request, pod, outcome, nextAttempt));
    }

    @Override
    public void retryBudgetExhausted(String service, Request request, Endpoint pod, Outcome outcome) {
        each(l -> l.retryBudgetExhausted(service, request, pod, outcome));
    }

    @Override
    public void callEnded(String service, Request request, CallOutcome outcome) {
        each(l -> l.callEnded(service, request, outcome));
    }

    @Override
    public void resolved(String service, boolean changed) {
        each(l -> l.resolved(service, changed));
    }

    @Override
    public void endpointsChanged(String service, EndpointSet set) {
        each(l -> l.endpointsChanged(service, set));
    }

    @Override
    public void resolutionFailed(String service, Throwable error) {
        each(l -> l.resolutionFailed(service, error));
    }

    @Override
    public void ejected(String service, Endpoint endpoint, Duration duration) {
        each(l -> l.ejected(service, endpoint, duration));
    }

    @Override
    public void readmitted(String service, Endpoint endpoint) {
        each(l -> l.readmitted(service, endpoint));
    }

    @Override
    public void recovered(String service, Endpoint endpoint) {
        each(l -> l.recovered(service, endpoint));
    }

    @Override
    public void panicChanged(String service, boolean panic) {
        each(l -> l.panicChanged(service, panic));
    }
}
