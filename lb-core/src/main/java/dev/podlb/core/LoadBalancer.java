package dev.podlb.core;

import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.internal.Durations;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.time.Scheduler;
import dev.podlb.core.topology.TopologyPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * ejection, a readmission, a panic transition, close) is a task on this load balancer's serial
 * context: tasks run one at a time, in order, on the scheduler's executor (by default a small
 * pool of podlb threads, never a discovery, timer or request thread), and
 * {@link LoadBalancerListener} callbacks are made from them in the order the state changed. Two
 * exceptions: a set the resolver already holds at build time (a static target) is applied on the
 * building thread before {@code build()} returns, and when the executor refuses or fails to take
 * work (the pool refuses it while the JVM shuts down) tasks run on the thread that queued them. A
 * {@code ManualScheduler} or an {@code executor(...)} given to the builder runs them where it runs
 * them. Sets that arrive close together are applied as one rebuild.
 *
 * <p>This class is the facade: what picks read is a {@code Snapshot}, rebuilt by a pure
 * {@code SnapshotBuilder} and published by the {@code StateUpdater} that owns the serial context.
 */
public final class LoadBalancer implements AutoCloseable {
    private final String service;
    private final Resolver resolver;
    private final boolean ownsResolver;
    private final Pinning pinning;
    private final TopologyPolicy topology;
    private final OutlierDetector health;
    private final StateUpdater updates;
    private final AtomicBoolean closed = new AtomicBoolean();

    LoadBalancer(LoadBalancerBuilder builder, Resolver resolver, boolean ownsResolver) {
        this.service = builder.service;
        this.resolver = resolver;
        this.ownsResolver = ownsResolver;
        this.pinning = new Pinning(builder.whenPinUnavailable);
        this.topology = builder.topology;
        this.updates = new StateUpdater(builder, resolver, pinning, closed);
        this.health = updates.health();
        updates.start();
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
        return updates.snapshot().pick(request);
    }

    /** Chooses the endpoint for a request with no sticky key and no pin. */
    public Endpoint pick() {
        return pick(PickRequest.none());
    }

    /**
     * Chooses the endpoint for a retry, never one of {@code avoid} (the endpoints this request
     * already tried) while another exists: the picker's choice unless it is one of them, else
     * another pickable endpoint (of the client's node, then of its zone, first, when routing keeps
     * calls there), else a candidate that is ejected (during a rolling restart an ejected pod is
     * often back), and the picker's choice again only when every candidate has been tried. The other endpoint is drawn
     * at random, so that the retries of many requests (a sticky key's pod keeps being its choice)
     * spread over the set rather than all reaching one pod. A pinned request gets its pod, tried
     * or not.
     */
    public Endpoint pickAvoiding(PickRequest request, Set<InetSocketAddress> avoid) {
        return updates.snapshot().pickAvoiding(request, avoid);
    }

    /**
     * Starts an attempt on {@code endpoint}, as its request leaves: it counts among the pod's
     * requests in flight until {@link Attempt#end} tells how it went. No lock is taken. The clock is
     * read as it starts and ends only when this load balancer keeps latency (its picker reads it, or
     * {@link LoadBalancerBuilder#recordLatency()}).
     */
    public Attempt start(Endpoint endpoint) {
        return new Attempt(endpoint, health.pod(endpoint), health);
    }

    /**
     * Tells how a call to {@code endpoint} ended, for a caller that does not use {@link #start};
     * failures may eject it. The call counts as started now: while the pod is on trial after an
     * ejection, this outcome decides the trial. No lock is taken: a run of failures reaching the
     * policy's threshold hands the decision to the load balancer's serial context.
     */
    public void report(Endpoint endpoint, Outcome outcome) {
        PodState pod = health.pod(endpoint);
        if (pod != null) {
            health.report(pod, outcome);
        }
    }

    /**
     * The live load figures of the endpoint at this address and port, or {@code null} when it is not
     * in the set. Its latency is 0 unless this load balancer keeps latency ({@link EndpointStats}).
     */
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
            throw Snapshot.closedException(service);
        }
        if (updates.snapshot().resolved) {
            return this;
        }
        try {
            updates.firstSet().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            Throwable error = updates.lastResolutionError();
            throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                    + resolver.describe() + " found no endpoints within " + timeout
                    + (error == null ? " and reported no error" : "; last error: " + error.getMessage()), 0, 0, 0, error);
        } catch (ExecutionException e) {
            if (updates.snapshot().resolved) {
                return this; // a set came after a definite failure ended the wait
            }
            if (e.getCause() instanceof StateUpdater.DefiniteFailure) {
                Throwable error = e.getCause().getCause();
                throw new NoEndpointException(service, NoEndpointException.Reason.NOT_RESOLVED, "service " + service + ": "
                        + error.getMessage(), 0, 0, 0, error);
            }
            throw Snapshot.closedException(service);
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
        return updates.snapshot().set;
    }

    /**
     * Whether the endpoint at this address and port is ejected in the state picks use now: once
     * this answers true, picks that start afterwards leave it out (unless the service is in panic,
     * or a retry has tried every other candidate: see {@link #pickAvoiding}), and
     * {@link #status()} and the listener's {@code ejected} event agree.
     */
    public boolean isEjected(Endpoint endpoint) {
        return updates.snapshot().isEjected(endpoint);
    }

    /** Counts and state, for health checks and operators. */
    public Status status() {
        Snapshot s = updates.snapshot();
        return new Status(service, resolver.describe(), s.resolved, closed.get(), s.set.version(), s.set.size(),
                s.set.readyCount(), s.set.terminatingCount(), s.ejected, s.pickableCount(), s.panic,
                updates.lastResolutionError(), topology.locality().toString(),
                s.routing == null ? "none" : s.routing.describe(),
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
        updates.close();
        if (ownsResolver) {
            resolver.close();
        }
    }

    @Override
    public String toString() {
        return "LoadBalancer{" + status() + ", picker=" + updates.pickers() + " with " + pinning + "}";
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
}
