package dev.podlb.core;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.Target;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.Pinning;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.time.Scheduler;
import java.util.Objects;

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
    private Picker.Factory picker;
    private WhenPinUnavailable whenPinUnavailable = WhenPinUnavailable.FAIL;
    EjectionPolicy ejection = EjectionPolicy.defaults();
    Scheduler scheduler = Scheduler.system();
    LoadBalancerListener listener = new LoadBalancerListener() {};

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

    /** How an endpoint is chosen. Default: a new {@link Pickers#roundRobin()}. */
    public LoadBalancerBuilder picker(Picker.Factory picker) {
        this.picker = picker;
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
        Picker.Factory chosen = picker != null ? picker : Pickers.roundRobin();
        Pinning pinning = new Pinning(whenPinUnavailable);
        if (resolver != null) {
            return new LoadBalancer(this, resolver, false, chosen, pinning);
        }
        Resolver opened;
        try {
            opened = discovery.open(Target.parse(target));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("load balancer for service " + service + ": " + e.getMessage(), e);
        }
        return new LoadBalancer(this, opened, true, chosen, pinning);
    }

    private void require(String setting, Object value) {
        Objects.requireNonNull(value, () -> "load balancer for service " + service + ": " + setting + " is null");
    }
}
