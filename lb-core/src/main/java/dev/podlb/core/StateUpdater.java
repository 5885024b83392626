package dev.podlb.core;

import dev.podlb.core.discovery.DiscoveryException;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.internal.SerialContext;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The side of a load balancer that changes what its picks read: it takes discovery's sets (the
 * newest only, close ones batched into one rebuild), tells the outlier detector of each applied
 * set, rebuilds the {@link Snapshot} on every set, ejection and readmission, publishes it, and
 * announces each change to the {@link LoadBalancerListener} after it is in effect.
 *
 * <p><b>Threads.</b> Discovery's callbacks and the timers run on their own threads and only queue
 * a task on the load balancer's {@link SerialContext}; everything else here runs as one of its
 * tasks, one at a time, and asserts so ({@link SerialContext#checkCurrentThread()}). The
 * constructor and {@link #start} run on the thread building the load balancer; {@link #snapshot()},
 * {@link #lastResolutionError()}, {@link #firstSet()}, {@link #health()} and {@link #close()} on
 * any thread.
 */
final class StateUpdater {
    /** Logged once per process, not per load balancer: every client in a JVM shares its place. */
    private static final AtomicBoolean localityUnknownLogged = new AtomicBoolean();
    /** Under the load balancer's name: what operators filter on. */
    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);
    private static final Routing NO_CANDIDATE = Routing.cluster(List.of(), "no candidate");

    private final String service;
    private final Resolver resolver;
    private final TopologyPolicy topology;
    private final Scheduler scheduler;
    private final long coalesceNanos;
    private final LoadBalancerListener listener;
    private final SerialContext context;
    private final OutlierDetector health;
    private final PickerPolicy pickerPolicy;
    private final PickerContext pickerContext;
    private final PickerInstance pickers;
    private final SnapshotBuilder builder;
    private final AtomicBoolean closed;
    private final CompletableFuture<Void> firstSet = new CompletableFuture<>();
    private volatile Snapshot snapshot;
    private volatile Throwable lastResolutionError;
    /** While {@link #start} subscribes: sets delivered then are applied on the starting thread. */
    private volatile boolean starting = true;
    private Resolver.Subscription subscription;

    // Serial context only.
    /** The newest set discovery delivered; ahead of {@link #applied} while a coalesced apply waits. */
    private EndpointSet arrived;
    /** The set the current snapshot was built from; {@code null} before the first. */
    private EndpointSet applied;
    private long appliedAtNanos;
    /** When the last apply that changed the set ended, on the scheduler's clock. */
    private long appliedEndNanos;
    /**
     * What applies cost on the scheduler's clock (real time, but for a test's manual clock, on
     * which they cost nothing) and idle time has not yet paid back, as of {@link #appliedEndNanos}:
     * each apply adds its cost, and each nanosecond without an apply pays one back. A set waits
     * while more than {@link #burstNanos()} is owed, so applies keep a thread busy at most half of
     * any stretch of time, plus that burst.
     */
    private long owedNanos;
    private Scheduler.Cancellable pendingApply;
    /** A picker instance's pending request for a new picker ({@link PickerContext#requestNewPicker}). */
    private Scheduler.Cancellable pendingNewPicker;
    private boolean hintsIgnoredLogged;

    /**
     * Makes the load balancer's outlier detector and snapshot builder, wired to this updater; call
     * {@link #start} to subscribe to discovery.
     */
    StateUpdater(LoadBalancerBuilder settings, Resolver resolver, Pinning pinning, AtomicBoolean closed) {
        this.service = settings.service;
        this.resolver = resolver;
        this.topology = settings.topology;
        this.scheduler = settings.scheduler;
        this.coalesceNanos = settings.coalesce.toNanos();
        this.listener = settings.listener;
        this.context = new SerialContext("load balancer " + service, settings.stateExecutor());
        this.health = new OutlierDetector(service, settings.ejection, scheduler, context, new HealthEvents(),
                settings.liveFigures);
        this.pickerPolicy = settings.picker;
        this.pickerContext = PickerContext.of(service, scheduler, this::requestNewPicker, settings.pickerExecutor());
        this.pickers = newPickerInstance();
        this.builder = new SnapshotBuilder(service, resolver::describe, settings.ejection, topology, pinning, pickers,
                this::newPickerInstance, health::pod, health::inFlight, this::lastResolutionError);
        this.closed = closed;
        this.snapshot = Snapshot.unresolved(service, resolver.describe(), this::lastResolutionError);
    }

    /** The load balancer's outlier detector. */
    OutlierDetector health() {
        return health;
    }

    /** The picker instance of the set's own pickers (others serve a zone's near and remote sides). */
    PickerInstance pickers() {
        return pickers;
    }

    /**
     * A picker instance of the policy, whose {@link PickerContext#requestNewPicker} requests reach
     * this updater: the main one, and one for each side of a zone split the snapshot builder makes.
     */
    private PickerInstance newPickerInstance() {
        PickerInstance instance = pickerPolicy.newInstance(pickerContext);
        if (instance == null) {
            throw new IllegalArgumentException("load balancer for service " + service + ": picker " + pickerPolicy
                    + " made no instance; expected PickerPolicy.newInstance to return one");
        }
        return instance;
    }

    /** Subscribes to discovery; a set the resolver already holds (a static target) is applied before this returns. */
    void start() {
        subscription = resolver.subscribe(new ResolverEvents());
        starting = false;
        // A shared resolver publishing on another thread at this moment delivers its set there, shortly after.
        context.drainHere();
        context.drain();
    }

    /** What picks read now; any thread. */
    Snapshot snapshot() {
        return snapshot;
    }

    /** Discovery's last failure since its last answer, or {@code null}; any thread. */
    Throwable lastResolutionError() {
        return lastResolutionError;
    }

    /** Completes with the first applied set; fails on a definite answer that there is none, or on close. */
    CompletableFuture<Void> firstSet() {
        return firstSet;
    }

    /** After the caller set the closed flag: every pick fails from now on, and no listener is called. Any thread. */
    void close() {
        snapshot = Snapshot.closed(service);
        firstSet.completeExceptionally(new IllegalStateException("closed"));
        if (subscription != null) {
            subscription.close();
        }
        context.execute(() -> {
            cancelPending();
            health.close();
        });
    }

    /** A set from discovery: newest version only, applied at once or with the next batch. */
    private void arrived(EndpointSet set) {
        context.checkCurrentThread();
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
        long wait = applied == null ? 0 : waitBeforeApply(scheduler.nanoTime());
        if (wait <= 0) {
            apply();
        } else {
            pendingApply = scheduler.schedule(Duration.ofNanos(wait), () -> context.execute(() -> {
                pendingApply = null;
                apply();
            }));
        }
    }

    /**
     * How long a set arriving now waits: to the end of the window that began with the last apply,
     * and then while idle time has not paid back all but a burst of what applies cost. Costly
     * rebuilds under churn (a sticky table over thousands of pods built anew) then take at most
     * half of a thread, and larger batches; a cheap update (a sticky table's one pod leaving)
     * after an idle stretch, or one costly rebuild now and then, waits only the window. The old
     * rule, a window of twice the last apply's cost, held every set after a rebuild that cost
     * more than half the window, which batched more changes into the next rebuild, which cost more.
     */
    private long waitBeforeApply(long now) {
        if (coalesceNanos == 0) {
            return 0;
        }
        long owed = owedNanos - Math.max(0, now - appliedEndNanos);
        return Math.max(coalesceNanos - (now - appliedAtNanos), owed - burstNanos());
    }

    /** What applies may owe and still not hold a set: four windows, 200 ms by default. */
    private long burstNanos() {
        return 4 * coalesceNanos;
    }

    private void apply() {
        context.checkCurrentThread();
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
        health.applied(set);
        health.readmitReadyAgain();
        Boolean panic = rebuild();
        long ended = scheduler.nanoTime();
        owedNanos = Math.max(0, owedNanos - Math.max(0, started - appliedEndNanos)) + (ended - started);
        appliedEndNanos = ended;
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

    /** Calls off the apply and the new picker still waiting for their time, on close. */
    private void cancelPending() {
        if (pendingApply != null) {
            pendingApply.cancel();
            pendingApply = null;
        }
        if (pendingNewPicker != null) {
            pendingNewPicker.cancel();
            pendingNewPicker = null;
        }
    }

    /**
     * A picker instance's {@link PickerContext#requestNewPicker}, made while it builds a picker on
     * the serial context, or on another thread (a task on the executor handing back its result),
     * which hops onto the serial context: after the delay, on the serial context, the snapshot is
     * rebuilt over the applied set and the pods ejected then (so every instance builds a picker),
     * and a panic change is announced as on other rebuilds. One request is pending at a time;
     * nothing runs after close.
     */
    private void requestNewPicker(Duration after) {
        if (!context.isCurrentThread()) {
            if (!closed.get()) {
                context.execute(() -> requestNewPicker(after));
            }
            return;
        }
        if (closed.get() || pendingNewPicker != null) {
            return;
        }
        pendingNewPicker = scheduler.schedule(after, () -> context.execute(() -> {
            pendingNewPicker = null;
            announcePanic(rebuild());
        }));
    }

    /**
     * Builds and publishes the snapshot of the applied set and the pods ejected now. Returns the
     * new panic state when it changed, else {@code null}, for the caller to announce after the
     * events that caused it.
     */
    private Boolean rebuild() {
        context.checkCurrentThread();
        if (applied == null || closed.get()) {
            return null;
        }
        Snapshot previous = snapshot;
        Snapshot next = builder.build(applied, new HashSet<>(health.ejected()));
        snapshot = next;
        // close() sets the flag before its own snapshot: whichever write comes last, closed wins.
        if (closed.get()) {
            snapshot = Snapshot.closed(service);
        }
        noteRouting(previous.routing, next.routing, applied, next.panic);
        if (next.panic == previous.panic) {
            return null;
        }
        if (next.panic) {
            log.warn("{}: only {} of {} candidate endpoints are healthy (panic below {}%); spreading calls over all of"
                    + " them (panic mode)", service, next.healthy, next.candidates.size(),
                    builder.panicThresholdPercent());
        } else {
            log.info("{}: {} of {} candidate endpoints healthy; panic mode over", service, next.healthy,
                    next.candidates.size());
        }
        return next.panic;
    }

    /**
     * Logs a change of the routing rule, and once that hints are there but the client's place is
     * not known. A client whose place is unknown routes over the whole service for that reason in
     * every load balancer of the process: that is logged at INFO once per process, and at DEBUG
     * for each load balancer.
     */
    private void noteRouting(Routing before, Routing now, EndpointSet set, boolean panic) {
        Routing current = now != null ? now : NO_CANDIDATE;
        if (before == null || !before.describe().equals(current.describe())) {
            boolean placeUnknown = now != null && !panic && topology.locality().isUnknown();
            if (placeUnknown && !localityUnknownLogged.compareAndSet(false, true)) {
                log.debug("{}: routing {}: {}", service, current.describe(), current.reason());
            } else {
                log.info("{}: routing {}: {}", service, current.describe(), current.reason());
            }
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

    /** What discovery last said of the pod at {@code address}: the newest set first, since a readmission may come with it. */
    private Endpoint describe(InetSocketAddress address) {
        Endpoint known = arrived != null ? arrived.find(address) : null;
        if (known == null && applied != null) {
            known = applied.find(address);
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
    static final class DefiniteFailure extends Exception {
        private static final long serialVersionUID = 1L;

        DefiniteFailure(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** The outlier detector's decisions, on the serial context: rebuild, log, then tell the listener. */
    private final class HealthEvents implements OutlierDetector.Events {
        @Override
        public void ejected(InetSocketAddress address, Duration duration, int ejections, String why) {
            context.checkCurrentThread();
            Endpoint endpoint = describe(address);
            log.warn("{}: ejected {} for {} (ejection {} in a row) after {}", service, endpoint, duration, ejections, why);
            Boolean panic = rebuild();
            announce(l -> l.ejected(service, endpoint, duration));
            announcePanic(panic);
        }

        @Override
        public void readmitted(InetSocketAddress address, String why) {
            context.checkCurrentThread();
            Endpoint endpoint = describe(address);
            log.info("{}: {} is picked again, on trial: {}", service, endpoint, why);
            Boolean panic = rebuild();
            announce(l -> l.readmitted(service, endpoint));
            announcePanic(panic);
        }

        @Override
        public void recovered(InetSocketAddress address) {
            context.checkCurrentThread();
            Endpoint endpoint = describe(address);
            log.info("{}: {} is healthy again", service, endpoint);
            announce(l -> l.recovered(service, endpoint));
        }
    }
}
