package dev.podlb.core;

import dev.podlb.core.discovery.DiscoveryException;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.health.HealthTracker;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.internal.Durations;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.Pinning;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service's load balancer: the endpoints its resolver discovers, their health, and the picker
 * that chooses among them. {@link #pick} chooses the endpoint for a request; {@link #report} tells
 * how the call went, which may eject a failing endpoint for a while.
 *
 * <p>A pick takes no lock: the endpoints, their health and the picker built from them form one
 * immutable state, replaced as a whole whenever discovery or health changes it.
 *
 * <pre>{@code
 * try (LoadBalancer lb = LoadBalancer.builder("backend")
 *         .target("static:///10.0.0.1:8080,10.0.0.2:8080")
 *         .picker(Pickers.sticky())
 *         .build()) {
 *     Endpoint pod = lb.pick(PickRequest.sticky(sessionId));
 *     // ... call pod.authority() ...
 *     lb.report(pod, Outcome.response(200));
 * }
 * }</pre>
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final String service;
    private final Resolver resolver;
    private final boolean ownsResolver;
    private final Picker.Factory pickers;
    private final Pinning pinning;
    private final HealthTracker health;
    private final LoadBalancerListener listener;
    private final Object lock = new Object();
    private final Resolver.Subscription subscription;
    private volatile State state;
    private volatile Throwable lastResolutionError;
    private final CompletableFuture<Void> firstSet = new CompletableFuture<>();
    private boolean closed;

    LoadBalancer(LoadBalancerBuilder builder, Resolver resolver, boolean ownsResolver, Picker.Factory pickers,
                 Pinning pinning) {
        this.service = builder.service;
        this.resolver = resolver;
        this.ownsResolver = ownsResolver;
        this.pickers = pickers;
        this.pinning = pinning;
        this.listener = builder.listener;
        this.health = new HealthTracker(service, builder.ejection, builder.scheduler, new HealthEvents());
        this.state = State.unresolved(this);
        this.subscription = resolver.subscribe(new ResolverEvents());
    }

    /** Starts a load balancer for the service of this name (used in messages, logs and metrics). */
    public static LoadBalancerBuilder builder(String service) {
        return new LoadBalancerBuilder(service);
    }

    /**
     * Chooses the endpoint for one request.
     *
     * @throws NoEndpointException when nothing can be picked; its message names the service, why,
     *                             and how many endpoints are known, ready and ejected
     */
    public Endpoint pick(PickRequest request) {
        return pick(state, request);
    }

    private Endpoint pick(State s, PickRequest request) {
        Endpoint endpoint = request.pin() == null ? s.picker.pick(request) : s.pickPinned(request, pinning);
        return endpoint != null ? endpoint : pickerReturnedNothing(s);
    }

    /** Kept out of {@link #pick} so that the hot path stays small enough to inline. */
    private Endpoint pickerReturnedNothing(State s) {
        throw s.pickable.noEndpoint(NoEndpointException.Reason.PICKER_FAILED,
                "picker " + pickers + " of service " + service + " returned no endpoint");
    }

    /**
     * Waits until discovery has delivered its first set of endpoints, so that the first calls do
     * not fail while it starts.
     *
     * @return this load balancer
     * @throws NoEndpointException when no set came within {@code timeout}; its message names the
     *                             target and the last resolution error (no such name, access denied…)
     */
    public LoadBalancer awaitReady(Duration timeout) {
        Durations.requirePositive("awaitReady timeout", timeout, "10s");
        if (state.resolved) {
            return this; // a set came after a definite failure completed the wait
        }
        try {
            firstSet.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            Throwable error = lastResolutionError;
            throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                    + resolver.describe() + " found no endpoints within " + timeout
                    + (error == null ? " and reported no error" : "; last error: " + error.getMessage()), 0, 0, 0, error);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DefiniteFailure) {
                Throwable error = e.getCause().getCause();
                throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                        + error.getMessage(), 0, 0, 0, error);
            }
            throw new IllegalStateException("load balancer for service " + service + " is closed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for service " + service + " to resolve", e);
        }
        return this;
    }

    /**
     * Chooses the endpoint for a retry: the picker's choice unless it is one of {@code avoid}
     * (endpoints this request already failed on), then another pickable endpoint, and the picker's
     * choice again only when every pickable endpoint has been tried.
     */
    public Endpoint pickAvoiding(PickRequest request, Set<InetSocketAddress> avoid) {
        State s = state;
        Endpoint chosen = pick(s, request);
        if (avoid.isEmpty() || !avoid.contains(chosen.socketAddress()) || s.pickable == null) {
            return chosen;
        }
        List<Endpoint> pickable = s.pickable.endpoints();
        for (int i = 0; i < pickable.size(); i++) {
            // Starting further along for each retry spreads a request's retries over the set.
            Endpoint other = pickable.get((avoid.size() + i) % pickable.size());
            if (!avoid.contains(other.socketAddress())) {
                return other;
            }
        }
        return chosen;
    }

    /** Chooses the endpoint for a request with no sticky key and no pin. */
    public Endpoint pick() {
        return pick(PickRequest.none());
    }

    /** Tells how a call to {@code endpoint} ended; failures may eject it. */
    public void report(Endpoint endpoint, Outcome outcome) {
        health.report(endpoint, outcome);
    }

    /** The service's name. */
    public String service() {
        return service;
    }

    /** The endpoints discovered now, ready or not; empty before the first resolution. */
    public EndpointSet endpoints() {
        return state.set;
    }

    /** Whether the endpoint at this address and port is ejected now. */
    public boolean isEjected(Endpoint endpoint) {
        return health.isEjected(endpoint.socketAddress());
    }

    /** Counts and state, for health checks and operators. */
    public Status status() {
        State s = state;
        return new Status(service, resolver.describe(), s.resolved, s.set.version(), s.set.size(), s.set.readyCount(),
                s.set.terminatingCount(), s.ejected, s.pickableCount, s.panic, lastResolutionError);
    }

    /** Stops discovery (when this load balancer started it) and scheduled work; later picks fail. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            state = State.closed(this);
        }
        firstSet.completeExceptionally(new IllegalStateException("closed"));
        subscription.close();
        health.close();
        if (ownsResolver) {
            resolver.close();
        }
    }

    @Override
    public String toString() {
        return "LoadBalancer{" + status() + ", picker=" + pickers + " with " + pinning + "}";
    }

    private void update(EndpointSet set) {
        Boolean panic;
        synchronized (lock) {
            if (closed || (state.resolved && set.equals(state.set))) {
                return;
            }
            health.retain(set);
            panic = rebuild(set);
        }
        lastResolutionError = null;
        firstSet.complete(null);
        notifyListener(l -> l.endpointsChanged(service, set));
        notifyPanic(panic);
    }

    /** Rebuilds after a health change; returns what {@link #rebuild} returns. */
    private Boolean healthChanged() {
        synchronized (lock) {
            return !closed && state.resolved ? rebuild(state.set) : null;
        }
    }

    private void notifyPanic(Boolean panic) {
        if (panic != null) {
            notifyListener(l -> l.panicChanged(service, panic));
        }
    }

    /**
     * Builds the state for {@code set} and the current health. Called with the lock held; returns
     * the new panic state when it changed, else {@code null}, for the caller to announce unlocked.
     */
    private Boolean rebuild(EndpointSet set) {
        boolean wasPanic = state.panic;
        List<Endpoint> candidates = candidates(set);
        Set<InetSocketAddress> ejected = new HashSet<>();
        List<Endpoint> pickable = new ArrayList<>(candidates.size());
        for (Endpoint e : set.endpoints()) {
            if (health.isEjected(e.socketAddress())) {
                ejected.add(e.socketAddress());
            }
        }
        for (Endpoint e : candidates) {
            if (!ejected.contains(e.socketAddress())) {
                pickable.add(e);
            }
        }
        boolean panic = pickable.isEmpty() && !candidates.isEmpty();
        State next;
        if (candidates.isEmpty()) {
            NoEndpointException.Reason reason = set.isEmpty()
                    ? NoEndpointException.Reason.NONE_DISCOVERED : NoEndpointException.Reason.NONE_READY;
            String message = set.isEmpty()
                    ? "no endpoint discovered for service " + service + " by " + resolver.describe()
                    : "no ready endpoint for service " + service;
            next = State.failing(this, set, ejected.size(), reason, message);
        } else {
            PickableEndpoints view = new PickableEndpoints(service, set, panic ? candidates : pickable, ejected, panic);
            next = new State(set, true, buildPicker(view), view, ejected.size(), view.endpoints().size(), panic);
        }
        state = next;
        if (panic == wasPanic) {
            return null;
        }
        if (panic) {
            log.warn("{}: all {} candidate endpoints are ejected; spreading calls over all of them (panic mode)",
                    service, candidates.size());
        } else {
            log.info("{}: {} endpoints pickable again; panic mode over", service, pickable.size());
        }
        return panic;
    }

    private Picker buildPicker(PickableEndpoints view) {
        try {
            return pickers.newPicker(view);
        } catch (RuntimeException e) {
            log.error("{}: picker {} failed to build over {}", service, pickers, view, e);
            return request -> {
                NoEndpointException failure = view.noEndpoint(NoEndpointException.Reason.PICKER_FAILED,
                        "picker " + pickers + " of service " + service + " failed to build: " + e);
                failure.initCause(e);
                throw failure;
            };
        }
    }

    /** Ready endpoints; when none is ready, those terminating but still serving. */
    private static List<Endpoint> candidates(EndpointSet set) {
        Readiness wanted = set.readyCount() > 0 ? Readiness.READY : Readiness.TERMINATING;
        List<Endpoint> candidates = new ArrayList<>(set.size());
        for (Endpoint e : set.endpoints()) {
            if (e.readiness() == wanted) {
                candidates.add(e);
            }
        }
        return candidates;
    }

    private Endpoint describe(InetSocketAddress address) {
        Endpoint known = state.set.find(address);
        return known != null ? known : Endpoint.of(address.getAddress(), address.getPort());
    }

    private void notifyListener(Consumer<LoadBalancerListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            log.warn("{}: listener {} failed", service, listener, e);
        }
    }

    /**
     * A load balancer's state at one moment.
     *
     * @param resolved            whether discovery has delivered a first set
     * @param version             the version of the current set
     * @param known               endpoints discovered, in any state
     * @param pickable            endpoints a pick can return now
     * @param panic               whether every candidate is ejected, so ejected ones are picked
     * @param lastResolutionError the last discovery failure since the last good set, or {@code null}
     */
    public record Status(String service, String resolver, boolean resolved, long version, int known, int ready,
                         int terminating, int ejected, int pickable, boolean panic, Throwable lastResolutionError) {
        @Override
        public String toString() {
            return "service " + service + " (" + resolver + "): " + (resolved ? "v" + version + ", " : "not resolved, ")
                    + known + " known, " + ready + " ready, " + terminating + " terminating, " + ejected + " ejected, "
                    + pickable + " pickable" + (panic ? ", PANIC" : "")
                    + (lastResolutionError == null ? "" : ", last error: " + lastResolutionError);
        }
    }

    private static final class State {
        final EndpointSet set;
        final boolean resolved;
        final Picker picker;
        final PickableEndpoints pickable;
        final int ejected;
        final int pickableCount;
        final boolean panic;

        State(EndpointSet set, boolean resolved, Picker picker, PickableEndpoints pickable, int ejected,
              int pickableCount, boolean panic) {
            this.set = set;
            this.resolved = resolved;
            this.picker = picker;
            this.pickable = pickable;
            this.ejected = ejected;
            this.pickableCount = pickableCount;
            this.panic = panic;
        }

        Endpoint pickPinned(PickRequest request, Pinning pinning) {
            // A failing state (nothing resolved, nothing ready) has no pickable view: its picker says why.
            return pickable == null ? picker.pick(request) : pinning.pick(request, pickable, picker);
        }

        static State failing(LoadBalancer lb, EndpointSet set, int ejected, NoEndpointException.Reason reason,
                             String message) {
            Picker fails = request -> {
                Throwable error = lb.lastResolutionError;
                throw new NoEndpointException(lb.service, reason, message + (error == null ? "" : " (last error: "
                        + error.getMessage() + ")"), set.size(), set.readyCount(), ejected, error);
            };
            return new State(set, true, fails, null, ejected, 0, false);
        }

        static State unresolved(LoadBalancer lb) {
            Picker fails = request -> {
                Throwable error = lb.lastResolutionError;
                throw new NoEndpointException(lb.service, NoEndpointException.Reason.NOT_RESOLVED,
                        "no endpoint for service " + lb.service + " yet: " + lb.resolver.describe()
                                + " has not resolved" + (error == null ? "" : " (last error: " + error + ")"),
                        0, 0, 0, error);
            };
            return new State(EndpointSet.empty(), false, fails, null, 0, 0, false);
        }

        static State closed(LoadBalancer lb) {
            Picker fails = request -> {
                throw new IllegalStateException("load balancer for service " + lb.service + " is closed");
            };
            return new State(EndpointSet.empty(), false, fails, null, 0, 0, false);
        }
    }

    private final class ResolverEvents implements Resolver.Listener {
        @Override
        public void onEndpoints(EndpointSet set) {
            update(set);
        }

        @Override
        public void onError(Throwable error) {
            lastResolutionError = error;
            if (error instanceof DiscoveryException && ((DiscoveryException) error).isDefinite()) {
                // An answer such as NXDOMAIN or 403 before any set: awaitReady need not wait it out.
                firstSet.completeExceptionally(new DefiniteFailure(error));
            }
            notifyListener(l -> l.resolutionFailed(service, error));
        }

        @Override
        public void onRecovered() {
            lastResolutionError = null;
        }
    }

    /** Completes {@link #firstSet} when discovery answered definitely that it has nothing. */
    private static final class DefiniteFailure extends Exception {
        private static final long serialVersionUID = 1L;

        DefiniteFailure(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private final class HealthEvents implements HealthTracker.Listener {
        @Override
        public void ejected(InetSocketAddress address, Duration duration, int ejections) {
            Endpoint endpoint = describe(address);
            log.warn("{}: ejected {} for {} (ejection {} in a row)", service, endpoint, duration, ejections);
            Boolean panic = healthChanged();
            notifyListener(l -> l.ejected(service, endpoint, duration));
            notifyPanic(panic);
        }

        @Override
        public void readmitted(InetSocketAddress address) {
            Endpoint endpoint = describe(address);
            log.info("{}: ejection of {} ended; picking it again on trial", service, endpoint);
            Boolean panic = healthChanged();
            notifyListener(l -> l.readmitted(service, endpoint));
            notifyPanic(panic);
        }

        @Override
        public void recovered(InetSocketAddress address) {
            Endpoint endpoint = describe(address);
            log.info("{}: {} is healthy again", service, endpoint);
            notifyListener(l -> l.recovered(service, endpoint));
        }
    }
}
