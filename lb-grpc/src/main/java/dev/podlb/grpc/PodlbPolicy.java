package dev.podlb.grpc;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.time.Scheduler;
import dev.podlb.core.topology.TopologyPolicy;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the {@value PodlbGrpc#POLICY_NAME} policy balances a channel's calls: the picker, where
 * sticky keys and pins come from, which status codes count against a pod, outlier ejection and
 * topology. The same settings come from a service config's
 * {@code "loadBalancingConfig": [{"podlb": {...}}]} (see the README) or from this builder, which
 * also takes what JSON cannot carry (a listener, a picker of the application's, a scheduler):
 *
 * <pre>{@code
 * PodlbPolicy policy = PodlbPolicy.builder()
 *         .picker(Pickers.leastRequest().latencyAware(true))
 *         .listener(new LoadBalancerListener() { ... })
 *         .build();
 * ManagedChannel channel = policy.applyTo(ManagedChannelBuilder.forTarget("k8s:///backend.default:grpc"))
 *         .usePlaintext().build();
 * policy.loadBalancers().get(0).status();   // podlb's view of the channel's pods
 * }</pre>
 *
 * <p>Its settings never change once built, and every method may be called from any thread; each
 * channel using it gets its own {@link LoadBalancer}, listed by {@link #loadBalancers()} while it runs.
 */
public final class PodlbPolicy {
    private static final AtomicInteger REGISTERED = new AtomicInteger();
    private static final Set<Status.Code> DEFAULT_FAILURES = EnumSet.of(Status.Code.UNAVAILABLE,
            Status.Code.DEADLINE_EXCEEDED);
    private static final PodlbPolicy DEFAULTS = builder().build();

    private final String service;
    private final PickerPolicy picker;
    private final Metadata.Key<String> stickyMetadataKey;
    private final Metadata.Key<String> pinMetadataKey;
    private final WhenPinUnavailable whenPinUnavailable;
    private final Set<Status.Code> failureStatusCodes;
    private final EjectionPolicy ejection;
    private final TopologyPolicy topology;
    private final LoadBalancerListener listener;
    private final Scheduler scheduler;
    private final boolean recordLatency;
    /** The service-config JSON this policy was read from; {@code null} for one built in Java. */
    private final Map<String, ?> json;
    private final List<LoadBalancer> loadBalancers = new CopyOnWriteArrayList<>();
    /** The policy name {@link #applyTo} registered this policy under; {@code null} until then. */
    private String registeredName;

    private PodlbPolicy(Builder b) {
        this.service = b.service;
        this.picker = b.picker;
        this.stickyMetadataKey = b.stickyMetadataKey;
        this.pinMetadataKey = b.pinMetadataKey;
        this.whenPinUnavailable = b.whenPinUnavailable;
        this.failureStatusCodes = Set.copyOf(b.failureStatusCodes);
        this.ejection = b.ejection;
        this.topology = b.topology;
        this.listener = b.listener;
        this.scheduler = b.scheduler;
        this.recordLatency = b.recordLatency;
        this.json = b.json;
    }

    /** Round-robin, status codes UNAVAILABLE and DEADLINE_EXCEEDED count as failures, podlb's default ejection. */
    public static PodlbPolicy defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Chooses this policy for the channel {@code builder} builds: registers it with gRPC's default
     * registry under a name of its own (once per policy) and makes it the channel's default
     * policy, and adds {@link PodlbGrpc#retriesToOtherPods()}. A service config's
     * {@code loadBalancingConfig} still wins over it, as over any default. The registration lasts
     * as long as the JVM: build a policy once and apply it to every channel it suits, not one
     * policy per channel.
     */
    public <T extends ManagedChannelBuilder<T>> T applyTo(ManagedChannelBuilder<T> builder) {
        PodlbGrpc.register();
        return builder.defaultLoadBalancingPolicy(policyName()).intercept(PodlbGrpc.retriesToOtherPods());
    }

    /**
     * The name this policy is registered under in gRPC's default registry ({@code podlb_1},
     * {@code podlb_2}, ...), registering it on the first call: for {@code defaultLoadBalancingPolicy}
     * or a service config's {@code "loadBalancingConfig": [{"podlb_1": {}}]}.
     */
    public synchronized String policyName() {
        if (registeredName == null) {
            registeredName = PodlbGrpc.POLICY_NAME + "_" + REGISTERED.incrementAndGet();
            LoadBalancerRegistry.getDefaultRegistry().register(new PodlbLoadBalancerProvider(registeredName, this));
        }
        return registeredName;
    }

    /** The load balancers of the channels using this policy now, one per channel: status, stats, endpoints. */
    public List<LoadBalancer> loadBalancers() {
        return List.copyOf(loadBalancers);
    }

    /** The service name of the load balancers (in logs, metrics, errors); {@code null}: the channel's authority. */
    public String service() {
        return service;
    }

    public PickerPolicy picker() {
        return picker;
    }

    /** The metadata key whose value is a call's sticky key, or {@code null}. */
    public Metadata.Key<String> stickyMetadataKey() {
        return stickyMetadataKey;
    }

    /** The metadata key whose value pins a call to a pod, or {@code null}. */
    public Metadata.Key<String> pinMetadataKey() {
        return pinMetadataKey;
    }

    public WhenPinUnavailable whenPinUnavailable() {
        return whenPinUnavailable;
    }

    /** The status codes that count as a failure of the pod that answered; others (but CANCELLED) as its success. */
    public Set<Status.Code> failureStatusCodes() {
        return failureStatusCodes;
    }

    public EjectionPolicy ejection() {
        return ejection;
    }

    public TopologyPolicy topology() {
        return topology;
    }

    /** Whether each pod's latency is kept whatever the picker reads ({@link Builder#recordLatency()}). */
    public boolean recordLatency() {
        return recordLatency;
    }

    /** Builds the load balancer of one channel over the addresses its resolver feeds; called on the channel's synchronization context. */
    LoadBalancer newLoadBalancer(String serviceName, Resolver addresses, LoadBalancerListener channelListener) {
        LoadBalancerListener both = new BothListeners(channelListener, listener);
        dev.podlb.core.LoadBalancerBuilder builder = LoadBalancer.builder(service != null ? service : serviceName)
                .resolver(addresses).picker(picker).whenPinUnavailable(whenPinUnavailable).ejection(ejection)
                .topology(topology).listener(both);
        if (scheduler != null) {
            builder.scheduler(scheduler);
        }
        if (recordLatency) {
            builder.recordLatency();
        }
        LoadBalancer lb = builder.build();
        loadBalancers.add(lb);
        return lb;
    }

    /**
     * Whether {@code other} says the same as this policy: it is this policy, or both were read from
     * equal service-config JSON (gRPC parses a service config again when a resolver returns it
     * again; the channel's load balancer, with its ejections and latency figures, must stay).
     */
    boolean sameSettings(PodlbPolicy other) {
        return this == other || (json != null && other != null && json.equals(other.json));
    }

    /** Called when a channel's load balancer is closed. */
    void closed(LoadBalancer lb) {
        loadBalancers.remove(lb);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (service != null) {
            parts.add("service=" + service);
        }
        parts.add("picker=" + picker);
        if (stickyMetadataKey != null) {
            parts.add("stickyMetadataKey=" + stickyMetadataKey.name());
        }
        if (pinMetadataKey != null) {
            parts.add("pinMetadataKey=" + pinMetadataKey.name());
        }
        parts.add("whenPinUnavailable=" + whenPinUnavailable);
        parts.add("failureStatusCodes=" + failureStatusCodes);
        parts.add("ejection=" + ejection);
        parts.add("topology=" + topology);
        if (recordLatency) {
            parts.add("recordLatency");
        }
        return "PodlbPolicy" + parts;
    }

    /** The channel's own listener (which rebuilds its picker) first, so that an application's that throws cannot stop it. */
    private static final class BothListeners implements LoadBalancerListener {
        private final LoadBalancerListener first;
        private final LoadBalancerListener second;

        BothListeners(LoadBalancerListener first, LoadBalancerListener second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void resolved(String service, boolean changed) {
            first.resolved(service, changed);
            second.resolved(service, changed);
        }

        @Override
        public void endpointsChanged(String service, dev.podlb.core.EndpointSet set) {
            first.endpointsChanged(service, set);
            second.endpointsChanged(service, set);
        }

        @Override
        public void resolutionFailed(String service, Throwable error) {
            first.resolutionFailed(service, error);
            second.resolutionFailed(service, error);
        }

        @Override
        public void ejected(String service, dev.podlb.core.Endpoint endpoint, java.time.Duration duration) {
            first.ejected(service, endpoint, duration);
            second.ejected(service, endpoint, duration);
        }

        @Override
        public void readmitted(String service, dev.podlb.core.Endpoint endpoint) {
            first.readmitted(service, endpoint);
            second.readmitted(service, endpoint);
        }

        @Override
        public void recovered(String service, dev.podlb.core.Endpoint endpoint) {
            first.recovered(service, endpoint);
            second.recovered(service, endpoint);
        }

        @Override
        public void panicChanged(String service, boolean panic) {
            first.panicChanged(service, panic);
            second.panicChanged(service, panic);
        }
    }

    /**
     * Builds a {@link PodlbPolicy}. Each setter checks its own value at once; {@link #build()}
     * checks the settings against each other (a sticky key needs a sticky picker).
     */
    public static final class Builder {
        private String service;
        private PickerPolicy picker = Pickers.roundRobin();
        private Metadata.Key<String> stickyMetadataKey;
        private Metadata.Key<String> pinMetadataKey;
        private WhenPinUnavailable whenPinUnavailable = WhenPinUnavailable.FAIL;
        private Set<Status.Code> failureStatusCodes = EnumSet.copyOf(DEFAULT_FAILURES);
        private EjectionPolicy ejection = EjectionPolicy.defaults();
        private TopologyPolicy topology = TopologyPolicy.defaults();
        private LoadBalancerListener listener = new LoadBalancerListener() {};
        private Scheduler scheduler;
        private boolean recordLatency;
        private Map<String, ?> json;

        private Builder() {}

        /** The service-config JSON the settings were read from. */
        Builder json(Map<String, ?> json) {
            this.json = json;
            return this;
        }

        /** The service's name in podlb's logs, metrics and errors. Default: the channel's authority. */
        public Builder service(String service) {
            if (service == null || service.isBlank()) {
                throw new IllegalArgumentException("service is " + (service == null ? "null" : "blank")
                        + "; expected the service's name, such as backend");
            }
            this.service = service;
            return this;
        }

        /** How each call's pod is chosen. Default: {@link Pickers#roundRobin()}. */
        public Builder picker(PickerPolicy picker) {
            this.picker = Objects.requireNonNull(picker, "picker");
            return this;
        }

        /**
         * The metadata (header) whose value is a call's sticky key, such as {@code x-session-id}; a
         * {@link PodlbGrpc#STICKY_KEY} call option wins over it. Needs a sticky picker.
         */
        public Builder stickyMetadataKey(String name) {
            this.stickyMetadataKey = asciiKey("stickyMetadataKey", name);
            return this;
        }

        /**
         * The metadata (header) whose value pins a call to a pod by name, such as {@code x-podlb-pin};
         * a {@link PodlbGrpc#PIN} call option wins over it. Only discovered pods can be reached.
         */
        public Builder pinMetadataKey(String name) {
            this.pinMetadataKey = asciiKey("pinMetadataKey", name);
            return this;
        }

        /** What a call pinned to an absent, ejected, not-ready or unconnected pod gets. Default: UNAVAILABLE. */
        public Builder whenPinUnavailable(WhenPinUnavailable whenPinUnavailable) {
            this.whenPinUnavailable = Objects.requireNonNull(whenPinUnavailable, "whenPinUnavailable");
            return this;
        }

        /**
         * The status codes that count as a failure of the pod that answered, for outlier ejection
         * and latency-aware picks. Default: UNAVAILABLE and DEADLINE_EXCEEDED; add RESOURCE_EXHAUSTED
         * or INTERNAL for servers that answer them when overloaded or broken. CANCELLED, unless
         * listed, ends the call's attempt without an outcome (the client gave up), but for an
         * attempt whose call deadline (from its call options) has passed, which is read as
         * DEADLINE_EXCEEDED; every other code not listed counts as the pod's success (it answered).
         */
        public Builder failureStatusCodes(Set<Status.Code> codes) {
            Objects.requireNonNull(codes, "failureStatusCodes");
            if (codes.contains(Status.Code.OK)) {
                throw new IllegalArgumentException("failureStatusCodes " + codes + " holds OK; expected codes of failed"
                        + " calls, such as [UNAVAILABLE, DEADLINE_EXCEEDED]");
            }
            this.failureStatusCodes = codes.isEmpty() ? EnumSet.noneOf(Status.Code.class) : EnumSet.copyOf(codes);
            return this;
        }

        /** When failing pods are ejected. Default: {@link EjectionPolicy#defaults()}. */
        public Builder ejection(EjectionPolicy ejection) {
            this.ejection = Objects.requireNonNull(ejection, "ejection");
            return this;
        }

        /** Zone-aware routing. Default: {@link TopologyPolicy#defaults()} (the client's zone from {@code PODLB_ZONE}). */
        public Builder topology(TopologyPolicy topology) {
            this.topology = Objects.requireNonNull(topology, "topology");
            return this;
        }

        /** Hears of each channel's endpoint changes, ejections and panic. */
        public Builder listener(LoadBalancerListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Time for ejections and slow start; a {@code ManualScheduler} in tests. Default: the system's. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Keeps each pod's latency average ({@code loadBalancers().get(0).stats(pod).latencyNanos()})
         * whatever the picker reads, for an application that reads it itself. It costs two clock
         * reads per call attempt; by default it is kept only for a picker that reads it
         * (latency-aware least-request, a picker of the application's), and reads 0 otherwise.
         */
        public Builder recordLatency() {
            this.recordLatency = true;
            return this;
        }

        public PodlbPolicy build() {
            if (stickyMetadataKey != null && Pickers.ignoresStickyKeys(picker)) {
                throw new IllegalArgumentException("stickyMetadataKey " + stickyMetadataKey.name() + " is set but picker "
                        + picker + " ignores sticky keys; expected a sticky picker (Pickers.sticky()) with a sticky key");
            }
            return new PodlbPolicy(this);
        }

        private static Metadata.Key<String> asciiKey(String setting, String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException(setting + " is " + (name == null ? "null" : "blank")
                        + "; expected a metadata key, such as x-session-id");
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.endsWith(Metadata.BINARY_HEADER_SUFFIX) || lower.startsWith("grpc-") || lower.startsWith(":")) {
                throw new IllegalArgumentException(setting + " is \"" + name + "\"; expected an ASCII metadata key"
                        + " of the application's, not a binary (-bin), grpc- or pseudo header");
            }
            try {
                return Metadata.Key.of(lower, Metadata.ASCII_STRING_MARSHALLER);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + " is \"" + name + "\": " + e.getMessage()
                        + "; expected lower-case letters, digits, '-', '_' and '.'", e);
            }
        }
    }
}
