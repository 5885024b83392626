package dev.podlb.core;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.Target;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.internal.Executors;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.pick.LiveFigure;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.time.Scheduler;
import dev.podlb.core.topology.TopologyPolicy;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Builds a {@link LoadBalancer}. Only where the endpoints come from is required: a target string
 * or a resolver. Settings are checked by {@link #build()}, with a message naming the setting.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder("backend")
 *         .target("static:///10.0.0.1:8080,10.0.0.2:8080")
 *         .picker(Pickers.roundRobin())                          // the default
 *         .ejection(EjectionPolicy.builder().consecutiveFailures(3).build())
 *         .whenPinUnavailable(WhenPinUnavailable.FAIL)           // the default
 *         .build();
 * }</pre>
 */
public final class LoadBalancerBuilder {
    final String service;
    private String target;
    private Resolver resolver;
    private Discovery discovery = Discovery.defaults();
    PickerPolicy picker = Pickers.roundRobin();
    TopologyPolicy topology = TopologyPolicy.defaults();
    WhenPinUnavailable whenPinUnavailable = WhenPinUnavailable.FAIL;
    EjectionPolicy ejection = EjectionPolicy.defaults();
    Scheduler scheduler = Scheduler.system();
    Executor executor;
    Duration coalesce = DEFAULT_COALESCE;
    LoadBalancerListener listener = new LoadBalancerListener() {};
    boolean recordLatency;
    /** What the load balancer keeps beside what it always keeps: what its picker reads, and latency when asked; set by {@link #build()}. */
    Set<LiveFigure> liveFigures;

    /** How long discovery changes are gathered into one rebuild by default. */
    public static final Duration DEFAULT_COALESCE = Duration.ofMillis(50);

    LoadBalancerBuilder(String service) {
        this.service = service;
    }

    /**
     * Where the endpoints come from, as a target string: {@code dns:///backend.default.svc.cluster.local:8080},
     * {@code dns:///_http._tcp.backend.default.svc.cluster.local}, {@code k8s:///backend.default:http} or
     * {@code static:///10.0.0.1:8080,10.0.0.2:8080}. Load balancers on the same target share its resolver.
     */
    public LoadBalancerBuilder target(String target) {
        this.target = target;
        return this;
    }

    /**
     * Where the endpoints come from, as a resolver the application owns: the load balancer
     * subscribes to it and leaves it open when it closes.
     */
    public LoadBalancerBuilder resolver(Resolver resolver) {
        this.resolver = resolver;
        return this;
    }

    /** Resolves the {@link #target}, shared with other load balancers. Default: {@link Discovery#defaults()}. */
    public LoadBalancerBuilder discovery(Discovery discovery) {
        this.discovery = discovery;
        return this;
    }

    /** How an endpoint is chosen. Default: {@link Pickers#roundRobin()}. */
    public LoadBalancerBuilder picker(PickerPolicy picker) {
        this.picker = picker;
        return this;
    }

    /**
     * How calls stay close to the client: Kubernetes' topology hints followed as kube-proxy follows
     * them, and spill-over to other zones when the local pods run short. Default:
     * {@link TopologyPolicy#defaults()}, the client's place from {@code PODLB_ZONE} and
     * {@code PODLB_NODE}; without hints, or without a known place, every pod is used.
     */
    public LoadBalancerBuilder topology(TopologyPolicy topology) {
        this.topology = topology;
        return this;
    }

    /** What a request pinned to an absent, ejected or not-ready pod gets. Default: a clear failure. */
    public LoadBalancerBuilder whenPinUnavailable(WhenPinUnavailable whenPinUnavailable) {
        this.whenPinUnavailable = whenPinUnavailable;
        return this;
    }

    /** When failing endpoints are ejected. Default: {@link EjectionPolicy#defaults()}. */
    public LoadBalancerBuilder ejection(EjectionPolicy ejection) {
        this.ejection = ejection;
        return this;
    }

    /** Time and delayed work; a {@link dev.podlb.core.time.ManualScheduler} in tests. */
    public LoadBalancerBuilder scheduler(Scheduler scheduler) {
        this.scheduler = scheduler;
        return this;
    }

    /**
     * Where the load balancer applies its changes, one at a time. Default: the scheduler's
     * {@link Scheduler#executor()}, a small shared pool of podlb threads. Tests give their own to
     * choose the order in which work from several threads runs. The executor given also runs a
     * picker's long work off the load balancer's serial context (a sticky table's settle at
     * thousands of pods, {@link PickerContext#executor()}); by default that has a podlb thread of
     * its own.
     */
    public LoadBalancerBuilder executor(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /**
     * Discovery changes that arrive within {@code window} of the last one applied are applied
     * together, as one rebuild, at the end of the window; a change after a quiet window is applied
     * at once. A rolling restart of a large service sends thousands of changes: this bounds the
     * rebuilds to one per window. When rebuilds cost much (a sticky table over thousands of pods
     * built anew), changes also wait while the rebuilds so far owe more than four windows of CPU
     * that idle time has not paid back, so that under churn rebuilds keep a thread busy at most
     * half the time (plus those four windows), while a cheap update after a quiet stretch waits
     * only the window.
     * Default 50 ms; zero applies each change as it comes.
     */
    public LoadBalancerBuilder coalesceUpdates(Duration window) {
        this.coalesce = window;
        return this;
    }

    /**
     * Keeps each endpoint's latency average ({@link EndpointStats#latencyNanos()}) even when the
     * picker does not read it, for an application that reads {@link LoadBalancer#stats} itself.
     * It costs two clock reads per attempt, so by default it is kept only for a picker that reads
     * it (latency-aware least-request, pickers of the application's): see {@link LiveFigure}.
     */
    public LoadBalancerBuilder recordLatency() {
        this.recordLatency = true;
        return this;
    }

    /** Hears of endpoint changes, ejections and panic, for logs and metrics. */
    public LoadBalancerBuilder listener(LoadBalancerListener listener) {
        this.listener = listener;
        return this;
    }

    public LoadBalancer build() {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("load balancer service name is " + (service == null ? "null" : "blank")
                    + "; expected the name of the service, such as backend");
        }
        if ((target == null) == (resolver == null)) {
            throw new IllegalArgumentException("load balancer for service " + service + " has "
                    + (target == null ? "neither a target nor a resolver" : "both a target and a resolver")
                    + "; expected exactly one: .target(\"dns:///backend.default.svc.cluster.local:8080\") or .resolver(...)");
        }
        require("whenPinUnavailable", whenPinUnavailable);
        require("ejection", ejection);
        require("scheduler", scheduler);
        require("listener", listener);
        require("discovery", discovery);
        require("picker", picker);
        require("topology", topology);
        if (coalesce == null || coalesce.isNegative()) {
            throw new IllegalArgumentException("load balancer for service " + service + ": coalesceUpdates is "
                    + coalesce + "; expected zero or a positive duration such as 50ms");
        }
        Set<LiveFigure> reads = picker.reads();
        if (reads == null) {
            throw new IllegalArgumentException("load balancer for service " + service + ": picker " + picker
                    + " declared null as the live figures it reads; expected a set, empty when it reads none");
        }
        liveFigures = EnumSet.noneOf(LiveFigure.class);
        liveFigures.addAll(reads);
        if (recordLatency) {
            liveFigures.add(LiveFigure.LATENCY);
        }
        if (resolver != null) {
            return new LoadBalancer(this, resolver, false);
        }
        Resolver opened;
        try {
            opened = discovery.open(Target.parse(target));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("load balancer for service " + service + ": " + e.getMessage(), e);
        }
        try {
            return new LoadBalancer(this, opened, true);
        } catch (RuntimeException | Error e) {
            opened.close(); // the lease would otherwise keep the shared resolver running
            throw e;
        }
    }

    private void require(String setting, Object value) {
        Objects.requireNonNull(value, () -> "load balancer for service " + service + ": " + setting + " is null");
    }

    /** Where the load balancer's serial context runs: the executor given, else the scheduler's. */
    Executor stateExecutor() {
        return executor != null ? executor : scheduler.executor();
    }

    /**
     * Where picker instances do long work off the serial context ({@link PickerContext#executor()}):
     * the executor given, which the application chose for podlb's work; else, when the scheduler
     * runs state changes on podlb's shared update pool, a thread of its own
     * ({@code Executors.background()}), so that a settle never holds a thread every load balancer's
     * changes need; else the scheduler's executor (a test's direct one runs the work inline).
     */
    Executor pickerExecutor() {
        if (executor != null) {
            return executor;
        }
        Executor state = scheduler.executor();
        return state == Executors.stateUpdates() ? Executors.background() : state;
    }
}
