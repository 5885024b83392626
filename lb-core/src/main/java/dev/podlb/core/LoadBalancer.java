package dev.podlb.core;

import dev.podlb.core.discovery.DiscoveryException;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.internal.Durations;
import dev.podlb.core.internal.SerialContext;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerInstance;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.time.Scheduler;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service's load balancer: the endpoints its resolver discovers, their health, and the picker
 * that chooses among them. {@link #pick} chooses the endpoint for a request; {@link #start} and
 * {@link Attempt#end} (or {@link #report}) tell how the call went, which may eject a failing
 * endpoint for a while.
 *
 * <pre>{@code
 * try (LoadBalancer lb = LoadBalancer.builder("backend")
 *         .target("static:///10.0.0.1:8080,10.0.0.2:8080")
 *         .picker(Pickers.sticky())
 *         .build()) {
 *     Endpoint pod = lb.pick(PickRequest.sticky(sessionId));
 *     Attempt attempt = lb.start(pod);
 *     // ... call pod.authority() ...
 *     attempt.end(Outcome.response(200));
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> A pick takes no lock: it reads one immutable state (the set, the health view
 * and the picker built from them), replaced as a whole on every change. Reports take no lock
 * either: they update the pod's atomics. Every change of state (a new set from discovery, an
 * ejection, a readmission, a panic transition, close) is a task on this load balancer's
 * {@link SerialContext}: tasks run one at a time, in order, on the scheduler's executor (by
 * default a small pool of podlb threads, never a discovery, timer or request thread), and
 * {@link LoadBalancerListener} callbacks are made from them in the order the state changed. Two
 * exceptions: a set the resolver already holds at build time (a static target) is applied on the
 * building thread before {@code build()} returns, and while the JVM shuts down (the pool refuses
 * work) tasks run on the thread that queued them. A {@code ManualScheduler} or an
 * {@code executor(...)} given to the builder runs them where it runs them. Sets that arrive close
 * together are applied as one rebuild.
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final String service;
    private final Resolver resolver;
    private final boolean ownsResolver;
    private final PickerInstance pickers;
    private final PickerPolicy pickerPolicy;
    private final TopologyPolicy topology;
    private final Pinning pinning;
    private final EjectionPolicy policy;
    private final Scheduler scheduler;
    private final long coalesceNanos;
    private final LoadBalancerListener listener;
    private final SerialContext context;
    private final OutlierDetector health;
    private final CompletableFuture<Void> firstSet = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Resolver.Subscription subscription;
    private volatile State state;
    private volatile Throwable lastResolutionError;
    /** While the constructor subscribes: sets delivered then are applied on the constructing thread. */
    private volatile boolean starting = true;

    // Serial context only.
    /** The newest set discovery delivered; ahead of {@link #applied} while a coalesced apply waits. */
    private EndpointSet arrived;
    /** The set the current state was built from; {@code null} before the first. */
    private EndpointSet applied;
    private long appliedAtNanos;
    /**
     * What the last apply cost on the scheduler's clock (real time, but for a test's manual clock,
     * on which it costs nothing): the batching window stretches to twice it.
     */
    private long applyCostNanos;
    private Scheduler.Cancellable pendingApply;
    /** Made when calls first spill out of the zone: the other zones' picks keep their own state. */
    private PickerInstance remotePickers;
    private boolean hintsIgnoredLogged;

    LoadBalancer(LoadBalancerBuilder builder, Resolver resolver, boolean ownsResolver, PickerInstance pickers) {
        this.service = builder.service;
        this.resolver = resolver;
        this.ownsResolver = ownsResolver;
        this.pickers = pickers;
        this.pickerPolicy = builder.picker;
        this.topology = builder.topology;
        this.pinning = new Pinning(builder.whenPinUnavailable);
        this.policy = builder.ejection;
        this.scheduler = builder.scheduler;
        this.coalesceNanos = builder.coalesce.toNanos();
        this.listener = builder.listener;
        this.context = new SerialContext("load balancer " + service,
                builder.executor != null ? builder.executor : scheduler.executor());
        this.health = new OutlierDetector(service, policy, scheduler, context, this::appliedSet, new HealthEvents());
        this.state = State.unresolved(this);
        this.subscription = resolver.subscribe(new ResolverEvents());
        starting = false;
        // A set the resolver delivered during subscribe (a static target) is in use when build() returns;
        // a shared resolver publishing on another thread at this moment delivers it there, shortly after.
        context.drainHere();
        context.drain();
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

    /** Chooses the endpoint for a request with no sticky key and no pin. */
    public Endpoint pick() {
        return pick(PickRequest.none());
    }

    private Endpoint pick(State s, PickRequest request) {
        Endpoint endpoint = request.pin() == null ? s.picker.pick(request) : s.pickPinned(request, pinning);
        return endpoint != null ? endpoint : pickerReturnedNothing(s);
    }

    /** Kept out of {@link #pick} so that the hot path stays small enough to inline. */
    private Endpoint pickerReturnedNothing(State s) {
        throw s.noEndpoint(this, NoEndpointException.Reason.PICKER_FAILED,
                "picker " + pickers + " of service " + service + " returned no endpoint");
    }

    /**
     * Chooses the endpoint for a retry, never one of {@code avoid} (the endpoints this request
     * already tried) while another exists: the picker's choice unless it is one of them, else
     * another pickable endpoint (of the client's zone first, when routing keeps calls there), else
     * a candidate that is ejected (during a rolling restart an ejected pod is often back), and the
     * picker's choice again only when every candidate has been tried. The other endpoint is drawn
     * at random, so that the retries of many requests (a sticky key's pod keeps being its choice)
     * spread over the set rather than all reaching one pod. A pinned request gets its pod, tried
     * or not.
     */
    public Endpoint pickAvoiding(PickRequest request, Set<InetSocketAddress> avoid) {
        State s = state;
        Endpoint chosen = pick(s, request);
        if (request.pin() != null || avoid.isEmpty() || !avoid.contains(chosen.socketAddress())
                || s.pickable == null) {
            return chosen;
        }
        int from = ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE);
        Endpoint other = null;
        if (s.routing != null && s.routing.rule() != Routing.Rule.CLUSTER) {
            other = firstNotIn(s.routing.local(), avoid, from);
        }
        if (other == null) {
            other = firstNotIn(s.pickable.endpoints(), avoid, from);
        }
        if (other == null) {
            other = firstNotIn(s.candidates, avoid, from);
        }
        return other != null ? other : chosen;
    }

    private static Endpoint firstNotIn(List<Endpoint> endpoints, Set<InetSocketAddress> avoid, int from) {
        int n = endpoints.size();
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints.get((int) (((long) from + i) % n));
            if (!avoid.contains(e.socketAddress())) {
                return e;
            }
        }
        return null;
    }

    /**
     * Starts an attempt on {@code endpoint}, as its request leaves: it counts among the pod's
     * requests in flight until {@link Attempt#end} tells how it went. No lock is taken.
     */
    public Attempt start(Endpoint endpoint) {
        return new Attempt(endpoint, health.pod(endpoint), health, scheduler);
    }

    /**
     * Tells how a call to {@code endpoint} ended, for a caller that does not use {@link #start};
     * failures may eject it. No lock is taken: a run of failures reaching the policy's threshold
     * hands the decision to the load balancer's serial context.
     */
    public void report(Endpoint endpoint, Outcome outcome) {
        PodState pod = health.pod(endpoint);
        if (pod != null) {
            health.report(pod, outcome);
        }
    }

    /** The live load figures of the endpoint at this address and port, or {@code null} when it is not in the set. */
    public EndpointStats stats(Endpoint endpoint) {
        return health.pod(endpoint);
    }

    /**
     * Waits until discovery has delivered its first set of endpoints, so that the first calls do
     * not fail while it starts. A definite answer before any set (the name does not exist, access
     * is denied) fails at once; only silence and transient errors are waited out.
     *
     * @return this load balancer
     * @throws NoEndpointException when no set came within {@code timeout}, or discovery answered
     *                             that there is none; its message names the target and the error
     */
    public LoadBalancer awaitReady(Duration timeout) {
        Durations.requirePositive("awaitReady timeout", timeout, "10s");
        if (closed.get()) {
            throw closedException();
        }
        if (state.resolved) {
            return this;
        }
        try {
            firstSet.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            Throwable error = lastResolutionError;
            throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                    + resolver.describe() + " found no endpoints within " + timeout
                    + (error == null ? " and reported no error" : "; last error: " + error.getMessage()), 0, 0, 0, error);
        } catch (ExecutionException e) {
            if (state.resolved) {
                return this; // a set came after a definite failure ended the wait
            }
            if (e.getCause() instanceof DefiniteFailure) {
                Throwable error = e.getCause().getCause();
                throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                        + error.getMessage(), 0, 0, 0, error);
            }
            throw closedException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for service " + service + " to resolve", e);
        }
        return this;
    }

    /** The service's name. */
    public String service() {
        return service;
    }

    /** The endpoints discovered now, ready or not; empty before the first resolution. */
    public EndpointSet endpoints() {
        return state.set;
    }

    /**
     * Whether the endpoint at this address and port is ejected in the state picks use now: once
     * this answers true, picks that start afterwards leave it out (unless the service is in panic,
     * or a retry has tried every other candidate: see {@link #pickAvoiding}), and
     * {@link #status()} and the listener's {@code ejected} event agree.
     */
    public boolean isEjected(Endpoint endpoint) {
        PickableView view = state.pickable;
        return view != null && view.isEjected(endpoint.socketAddress());
    }

    /** Counts and state, for health checks and operators. */
    public Status status() {
        State s = state;
        return new Status(service, resolver.describe(), s.resolved, closed.get(), s.set.version(), s.set.size(),
                s.set.readyCount(), s.set.terminatingCount(), s.ejected, s.pickableCount, s.panic, lastResolutionError,
                topology.locality().toString(), s.routing == null ? "none" : s.routing.describe(),
                s.routing == null ? "no candidate endpoint" : s.routing.reason(),
                s.set.trafficDistribution().orElse(null));
    }

    /**
     * Stops discovery (when this load balancer started it) and scheduled work. Picks that follow
     * fail with {@link NoEndpointException.Reason#CLOSED}; no listener is called afterwards.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        state = State.closed(this);
        firstSet.completeExceptionally(new IllegalStateException("closed"));
        subscription.close();
        context.execute(() -> {
            cancelPendingApply();
            health.close();
        });
        if (ownsResolver) {
            resolver.close();
        }
    }

    @Override
    public String toString() {
        return "LoadBalancer{" + status() + ", picker=" + pickers + " with " + pinning + "}";
    }

    private NoEndpointException closedException() {
        return new NoEndpointException(service, NoEndpointException.Reason.CLOSED, "load balancer for service "
                + service + " is closed", 0, 0, 0, null);
    }

    private EndpointSet appliedSet() {
        return applied != null ? applied : EndpointSet.empty();
    }

    /** A set from discovery, on the serial context: newest version only, applied at once or with the next batch. */
    private void arrived(EndpointSet set) {
        if (closed.get()) {
            return;
        }
        if (arrived != null && set.version() < arrived.version()) {
            log.debug("{}: dropped {}, older than {}", service, set, arrived);
            return;
        }
        EndpointSet before = arrived;
        arrived = set;
        lastResolutionError = null; // discovery resolved: an error it reported before is over
        announce(l -> l.resolved(service, true));
        health.readinessChanged(before, set);
        if (pendingApply != null) {
            return; // the waiting apply will take this newest set
        }
        // A set whose rebuild costs more than the window (a sticky table over thousands of pods) waits
        // twice its cost: under churn, rebuilds then take at most half of a thread.
        long window = coalesceNanos == 0 ? 0 : Math.max(coalesceNanos, 2 * applyCostNanos);
        long wait = applied == null ? 0 : window - (scheduler.nanoTime() - appliedAtNanos);
        if (wait <= 0) {
            apply();
        } else {
            pendingApply = scheduler.schedule(Duration.ofNanos(wait), () -> context.execute(() -> {
                pendingApply = null;
                apply();
            }));
        }
    }

    private void apply() {
        if (closed.get()) {
            return;
        }
        EndpointSet set = withZones(arrived);
        appliedAtNanos = scheduler.nanoTime();
        boolean changed = applied == null || !set.equals(applied);
        applied = set;
        if (!changed) {
            health.readmitReadyAgain(); // ready, not ready and ready again within one window
            return;
        }
        long started = scheduler.nanoTime();
        health.retain(set);
        health.readmitReadyAgain();
        Boolean panic = rebuild();
        applyCostNanos = scheduler.nanoTime() - started;
        firstSet.complete(null);
        announce(l -> l.endpointsChanged(service, set));
        announcePanic(panic);
    }

    /** {@code set} with the zones the topology policy gives by address to endpoints discovery gave none. */
    private EndpointSet withZones(EndpointSet set) {
        if (!topology.assignsZones()) {
            return set;
        }
        List<Endpoint> zoned = new ArrayList<>(set.size());
        for (Endpoint e : set.endpoints()) {
            zoned.add(topology.withZone(e));
        }
        return EndpointSet.of(set.version(), zoned).withTrafficDistribution(set.trafficDistribution().orElse(null));
    }

    private void cancelPendingApply() {
        if (pendingApply != null) {
            pendingApply.cancel();
            pendingApply = null;
        }
    }

    /**
     * Builds the state for the applied set and the current health, on the serial context.
     * Returns the new panic state when it changed, else {@code null}, for the caller to announce
     * after the events that caused it.
     */
    private Boolean rebuild() {
        if (applied == null || closed.get()) {
            return null;
        }
        EndpointSet set = applied;
        boolean wasPanic = state.panic;
        List<Endpoint> candidates = set.candidates();
        List<Endpoint> healthy = new ArrayList<>(candidates.size());
        Set<InetSocketAddress> ejected = new HashSet<>();
        for (Endpoint e : set.endpoints()) {
            if (health.isEjected(e.socketAddress())) {
                ejected.add(e.socketAddress());
            } else if (set.isCandidate(e.socketAddress())) {
                healthy.add(e);
            }
        }
        boolean panic = policy.isPanic(healthy.size(), candidates.size());
        Routing routing = panic ? Routing.cluster(candidates, "panic: too few healthy endpoints, so every candidate is"
                + " picked wherever it is") : candidates.isEmpty() ? Routing.cluster(List.of(), "no candidate")
                : Routing.of(topology, set, candidates, healthy);
        State next;
        if (candidates.isEmpty()) {
            next = set.isEmpty()
                    ? State.failing(this, set, ejected.size(), NoEndpointException.Reason.NONE_DISCOVERED,
                            "no endpoint discovered for service " + service + " by " + resolver.describe())
                    : State.failing(this, set, ejected.size(), NoEndpointException.Reason.NONE_READY,
                            "no ready endpoint for service " + service);
        } else {
            PickableView view = new PickableView(service, set, panic ? candidates : healthy, ejected, panic, health::pod,
                    health::inFlight);
            next = new State(set, true, routedPicker(routing, view, ejected), view, candidates,
                    ejected.size(), view.endpoints().size(), panic, routing);
        }
        State previous = state;
        publish(next);
        noteRouting(previous.routing, routing, set);
        if (panic == wasPanic) {
            return null;
        }
        if (panic) {
            log.warn("{}: only {} of {} candidate endpoints are healthy (panic below {}%); spreading calls over all of"
                    + " them (panic mode)", service, healthy.size(), candidates.size(), policy.panicThresholdPercent());
        } else {
            log.info("{}: {} of {} candidate endpoints healthy; panic mode over", service, healthy.size(),
                    candidates.size());
        }
        return panic;
    }

    /** Makes {@code next} the state picks read, unless the load balancer closed meanwhile. */
    private void publish(State next) {
        state = next;
        // close() sets the flag before its own state: whichever write comes last, closed wins.
        if (closed.get()) {
            state = State.closed(this);
        }
    }

    /** The picker over {@code routing}'s endpoints: the whole view, the local ones, or both sides of a spill. */
    private Picker routedPicker(Routing routing, PickableView all, Set<InetSocketAddress> ejected) {
        if (routing.rule() == Routing.Rule.CLUSTER) {
            return buildPicker(pickers, all);
        }
        EndpointSet set = all.set();
        if (routing.local().isEmpty()) {
            return buildPicker(remotePickers(), new PickableView(service, set, routing.remote(), ejected, false, health::pod,
                    health::inFlight));
        }
        Picker local = buildPicker(pickers, new PickableView(service, set, routing.local(), ejected, false, health::pod,
                health::inFlight));
        if (!routing.spills()) {
            return local;
        }
        Picker remote = buildPicker(remotePickers(), new PickableView(service, set, routing.remote(), ejected, false,
                health::pod, health::inFlight));
        return routing.split(local, remote);
    }

    private PickerInstance remotePickers() {
        if (remotePickers == null) {
            remotePickers = pickerPolicy.newInstance(PickerContext.of(service, scheduler));
        }
        return remotePickers;
    }

    /** Logs a change of the routing rule, and once that hints are there but the client's place is not known. */
    private void noteRouting(Routing before, Routing now, EndpointSet set) {
        if (before == null || !before.describe().equals(now.describe())) {
            log.info("{}: routing {}: {}", service, now.describe(), now.reason());
        }
        if (!hintsIgnoredLogged && topology.locality().isUnknown()) {
            for (Endpoint e : set.endpoints()) {
                if (!e.zoneHints().isEmpty() || !e.nodeHints().isEmpty()) {
                    hintsIgnoredLogged = true;
                    log.info("{}: the endpoints carry topology hints, but this client's zone and node are unknown, so"
                            + " zone-aware routing is off; set {} and {} (the Downward API can) or"
                            + " LoadBalancerBuilder.topology(...)", service, Locality.ZONE_VARIABLE, Locality.NODE_VARIABLE);
                    break;
                }
            }
        }
    }

    private Picker buildPicker(PickerInstance instance, PickableView view) {
        try {
            return instance.newPicker(view);
        } catch (RuntimeException e) {
            log.error("{}: picker {} failed to build over {}", service, instance, view, e);
            return request -> {
                NoEndpointException failure = view.noEndpoint(NoEndpointException.Reason.PICKER_FAILED,
                        "picker " + instance + " of service " + service + " failed to build: " + e);
                failure.initCause(e);
                throw failure;
            };
        }
    }

    /** What discovery last said of the pod at {@code address}: the newest set first, since a readmission may come with it. */
    private Endpoint describe(InetSocketAddress address) {
        Endpoint known = arrived != null ? arrived.find(address) : null;
        if (known == null) {
            known = appliedSet().find(address);
        }
        return known != null ? known : Endpoint.of(address.getAddress(), address.getPort());
    }

    private void announce(Consumer<LoadBalancerListener> event) {
        if (closed.get()) {
            return;
        }
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            log.warn("{}: listener {} failed", service, listener, e);
        }
    }

    private void announcePanic(Boolean panic) {
        if (panic != null) {
            announce(l -> l.panicChanged(service, panic));
        }
    }

    /**
     * A load balancer's counts and state at one moment, for health checks and operators.
     * {@code toString()} gives the line an operator reads:
     * {@code service backend (dns:///…): v7, 3 known, 3 ready, 0 terminating, 1 ejected, 2 pickable}.
     */
    public static final class Status {
        private final String service;
        private final String resolver;
        private final boolean resolved;
        private final boolean closed;
        private final long version;
        private final int known;
        private final int ready;
        private final int terminating;
        private final int ejected;
        private final int pickable;
        private final boolean panic;
        private final Throwable lastResolutionError;
        private final String locality;
        private final String routing;
        private final String routingReason;
        private final String trafficDistribution;

        Status(String service, String resolver, boolean resolved, boolean closed, long version, int known, int ready,
               int terminating, int ejected, int pickable, boolean panic, Throwable lastResolutionError,
               String locality, String routing, String routingReason, String trafficDistribution) {
            this.service = service;
            this.resolver = resolver;
            this.resolved = resolved;
            this.closed = closed;
            this.version = version;
            this.known = known;
            this.ready = ready;
            this.terminating = terminating;
            this.ejected = ejected;
            this.pickable = pickable;
            this.panic = panic;
            this.lastResolutionError = lastResolutionError;
            this.locality = locality;
            this.routing = routing;
            this.routingReason = routingReason;
            this.trafficDistribution = trafficDistribution;
        }

        public String service() {
            return service;
        }

        /** The resolver's description, usually the target. */
        public String resolver() {
            return resolver;
        }

        /** Whether discovery has delivered a first set. */
        public boolean resolved() {
            return resolved;
        }

        /** Whether the load balancer is closed. */
        public boolean closed() {
            return closed;
        }

        /** The version of the current set. */
        public long version() {
            return version;
        }

        /** Endpoints discovered, in any state. */
        public int known() {
            return known;
        }

        public int ready() {
            return ready;
        }

        public int terminating() {
            return terminating;
        }

        /** Endpoints of the set ejected now. */
        public int ejected() {
            return ejected;
        }

        /** Endpoints a pick can return now. */
        public int pickable() {
            return pickable;
        }

        /** Whether too few candidates are healthy, so that ejected ones are picked too. */
        public boolean panic() {
            return panic;
        }

        /** The last discovery failure since the last successful resolution, or {@code null}. */
        public Throwable lastResolutionError() {
            return lastResolutionError;
        }

        /** Where this client runs: {@code zone a, node n1}, or {@code unknown}. */
        public String locality() {
            return locality;
        }

        /** The topology rule in force: {@code zone a}, {@code zone a, 25% spilled}, {@code node n1} or {@code cluster}. */
        public String routing() {
            return routing;
        }

        /** Why that rule is in force. */
        public String routingReason() {
            return routingReason;
        }

        /** The Service's {@code spec.trafficDistribution} as discovery read it, or {@code null}. */
        public String trafficDistribution() {
            return trafficDistribution;
        }

        @Override
        public String toString() {
            return "service " + service + " (" + resolver + "): " + (closed ? "closed, " : "")
                    + (resolved ? "v" + version + ", " : "not resolved, ")
                    + known + " known, " + ready + " ready, " + terminating + " terminating, " + ejected + " ejected, "
                    + pickable + " pickable" + (panic ? ", PANIC" : "")
                    + (routing.equals("cluster") || routing.equals("none") ? "" : ", routing " + routing)
                    + (lastResolutionError == null ? "" : ", last error: " + lastResolutionError);
        }
    }

    /** What picks read: one immutable value, replaced as a whole. */
    private static final class State {
        final EndpointSet set;
        final boolean resolved;
        final Picker picker;
        /** {@code null} when nothing can be picked: the picker then says why. */
        final PickableView pickable;
        /** Ready endpoints (terminating ones when none is ready), ejected or not. */
        final List<Endpoint> candidates;
        final int ejected;
        final int pickableCount;
        final boolean panic;
        /** {@code null} before the first state with candidates. */
        final Routing routing;

        State(EndpointSet set, boolean resolved, Picker picker, PickableView pickable, List<Endpoint> candidates,
              int ejected, int pickableCount, boolean panic, Routing routing) {
            this.set = set;
            this.resolved = resolved;
            this.picker = picker;
            this.pickable = pickable;
            this.candidates = candidates;
            this.ejected = ejected;
            this.pickableCount = pickableCount;
            this.panic = panic;
            this.routing = routing;
        }

        Endpoint pickPinned(PickRequest request, Pinning pinning) {
            // A failing state (nothing resolved, nothing ready) has no pickable view: its picker says why.
            return pickable == null ? picker.pick(request) : pinning.pick(request, pickable, picker);
        }

        NoEndpointException noEndpoint(LoadBalancer lb, NoEndpointException.Reason reason, String message) {
            return pickable != null ? pickable.noEndpoint(reason, message)
                    : new NoEndpointException(lb.service, reason, message, set.size(), set.readyCount(), ejected, null);
        }

        static State failing(LoadBalancer lb, EndpointSet set, int ejected, NoEndpointException.Reason reason,
                             String message) {
            Picker fails = request -> {
                Throwable error = lb.lastResolutionError;
                throw new NoEndpointException(lb.service, reason, message + (error == null ? "" : " (last error: "
                        + error.getMessage() + ")"), set.size(), set.readyCount(), ejected, error);
            };
            return new State(set, true, fails, null, List.of(), ejected, 0, false, null);
        }

        static State unresolved(LoadBalancer lb) {
            Picker fails = request -> {
                Throwable error = lb.lastResolutionError;
                throw new NoEndpointException(lb.service, NoEndpointException.Reason.NOT_RESOLVED,
                        "no endpoint for service " + lb.service + " yet: " + lb.resolver.describe()
                                + " has not resolved" + (error == null ? "" : " (last error: " + error + ")"),
                        0, 0, 0, error);
            };
            return new State(EndpointSet.empty(), false, fails, null, List.of(), 0, 0, false, null);
        }

        static State closed(LoadBalancer lb) {
            Picker fails = request -> {
                throw lb.closedException();
            };
            return new State(EndpointSet.empty(), false, fails, null, List.of(), 0, 0, false, null);
        }
    }

    /**
     * Discovery's deliveries, made on discovery's threads: each only queues its work on the serial
     * context, so nothing of the load balancer runs there.
     */
    private final class ResolverEvents implements Resolver.Listener {
        @Override
        public void onEndpoints(EndpointSet set) {
            queue(() -> arrived(set));
        }

        @Override
        public void onError(Throwable error) {
            queue(() -> {
                if (closed.get()) {
                    return;
                }
                lastResolutionError = error;
                if (applied == null && error instanceof DiscoveryException && ((DiscoveryException) error).isDefinite()) {
                    // An answer such as NXDOMAIN or 403 before any set: awaitReady need not wait it out.
                    firstSet.completeExceptionally(new DefiniteFailure(error));
                }
                announce(l -> l.resolutionFailed(service, error));
            });
        }

        @Override
        public void onUnchanged() {
            queue(() -> {
                if (!closed.get()) {
                    lastResolutionError = null;
                    announce(l -> l.resolved(service, false));
                }
            });
        }

        private void queue(Runnable task) {
            context.executeLater(task);
            if (!starting) {
                context.drain();
            }
        }
    }

    /** Completes {@link #firstSet} when discovery answered definitely that it has nothing. */
    private static final class DefiniteFailure extends Exception {
        private static final long serialVersionUID = 1L;

        DefiniteFailure(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** The outlier detector's decisions, on the serial context: rebuild, log, then tell the listener. */
    private final class HealthEvents implements OutlierDetector.Events {
        @Override
        public void ejected(InetSocketAddress address, Duration duration, int ejections, String why) {
            Endpoint endpoint = describe(address);
            log.warn("{}: ejected {} for {} (ejection {} in a row) after {}", service, endpoint, duration, ejections, why);
            Boolean panic = rebuild();
            announce(l -> l.ejected(service, endpoint, duration));
            announcePanic(panic);
        }

        @Override
        public void readmitted(InetSocketAddress address, String why) {
            Endpoint endpoint = describe(address);
            log.info("{}: {} is picked again, on trial: {}", service, endpoint, why);
            Boolean panic = rebuild();
            announce(l -> l.readmitted(service, endpoint));
            announcePanic(panic);
        }

        @Override
        public void recovered(InetSocketAddress address) {
            Endpoint endpoint = describe(address);
            log.info("{}: {} is healthy again", service, endpoint);
            announce(l -> l.recovered(service, endpoint));
        }
    }
}
