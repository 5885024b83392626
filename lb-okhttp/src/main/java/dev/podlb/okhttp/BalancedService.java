package dev.podlb.okhttp;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerBuilder;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.AffinityMemory;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One service the interceptor balances: the host name requests use, where its pods come from, and
 * how a request chooses among them.
 *
 * <pre>{@code
 * BalancedService.builder("backend.default.svc.cluster.local")
 *         .target("dns:///backend.default.svc.cluster.local:8080")
 *         .stickyKey(StickyKey.header("X-Session-Id"))   // sticky picks (needs no picker); default round-robin
 *         .learnCookie("JSESSIONID")                     // requests with a pod's session cookie go to that pod
 *         .pinHeader("X-Pod")                            // off unless set; removed before the request leaves
 *         .maxAttempts(3)
 *         .retryOnStatus(503)                            // retried on another pod, for requests that may be sent twice
 *         .retryBudget(RetryBudget.defaults())           // retries add at most 20% of the calls plus 10 a second
 *         .perTryTimeout(Duration.ofMillis(500))         // off unless set
 *         .hedging(Hedging.after(Duration.ofMillis(50)))  // off unless set; idempotent calls only
 *         .build();
 * }</pre>
 */
public final class BalancedService {
    final String host;
    final String name;
    final String target;
    final LoadBalancer givenLoadBalancer;
    final PickerPolicy picker;
    final StickyKey stickyKey;
    final String learnCookie;
    final AffinityMemory affinity;
    final String pinHeader;
    final int maxAttempts;
    final Set<Integer> retryStatuses;
    final long bufferResponsesUpTo;
    final Duration perTryTimeout;
    final RetryBudget retryBudget;
    final Backoff backoff;
    final Hedging hedging;
    final Scheduler scheduler;
    final EjectionPolicy ejection;
    final Consumer<LoadBalancerBuilder> customizer;
    /** {@link AttemptPolicy#every}: a call picks one of these. */
    final AttemptPolicy[] attemptPolicies;

    private BalancedService(Builder b) {
        this.host = b.host;
        this.name = b.name != null ? b.name : b.host;
        this.target = b.target;
        this.givenLoadBalancer = b.loadBalancer;
        this.learnCookie = b.learnCookie;
        this.stickyKey = b.stickyKey != null ? b.stickyKey : b.learnCookie != null ? StickyKey.cookie(b.learnCookie) : null;
        this.affinity = b.affinity;
        this.picker = b.picker != null ? b.picker
                : affinity != null ? Pickers.sticky(affinity) : stickyKey != null ? Pickers.sticky() : Pickers.roundRobin();
        this.pinHeader = b.pinHeader;
        this.maxAttempts = b.maxAttempts;
        this.retryStatuses = Set.copyOf(b.retryStatuses);
        this.bufferResponsesUpTo = b.bufferResponsesUpTo;
        this.perTryTimeout = b.perTryTimeout;
        this.retryBudget = b.retryBudget;
        this.backoff = b.backoff;
        this.hedging = b.hedging;
        this.scheduler = b.scheduler;
        this.ejection = b.ejection;
        this.customizer = b.customizer;
        this.attemptPolicies = AttemptPolicy.every(maxAttempts, retryStatuses);
    }

    public static Builder builder(String host) {
        return new Builder(host);
    }

    /** The host name whose requests are balanced, lower case. */
    public String host() {
        return host;
    }

    /** The service's name in messages, logs and metrics; the host unless set. */
    public String name() {
        return name;
    }

    LoadBalancer openLoadBalancer(Discovery discovery, LoadBalancerListener listener) {
        if (givenLoadBalancer != null) {
            return givenLoadBalancer;
        }
        LoadBalancerBuilder lb = LoadBalancer.builder(name).target(target).discovery(discovery).picker(picker)
                .listener(listener).scheduler(scheduler);
        if (ejection != null) {
            lb.ejection(ejection);
        }
        customizer.accept(lb);
        return lb.build();
    }

    @Override
    public String toString() {
        return "BalancedService{" + host + " -> " + (target != null ? target : givenLoadBalancer) + ", picker=" + picker
                + (pinHeader != null ? ", pinHeader=" + pinHeader : "") + ", maxAttempts=" + maxAttempts
                + (retryStatuses.isEmpty() ? "" : ", retryOnStatus=" + retryStatuses) + ", " + retryBudget + ", " + backoff
                + (perTryTimeout != null ? ", perTryTimeout=" + perTryTimeout : "")
                + (hedging != null ? ", " + hedging : "") + "}";
    }

    public static final class Builder {
        private final String host;
        private String name;
        private String target;
        private LoadBalancer loadBalancer;
        private PickerPolicy picker;
        private StickyKey stickyKey;
        private String learnCookie;
        private AffinityMemory affinity;
        private String pinHeader;
        private int maxAttempts = 3;
        private final Set<Integer> retryStatuses = new HashSet<>();
        private long bufferResponsesUpTo = 64 * 1024;
        private Duration perTryTimeout;
        private RetryBudget retryBudget = RetryBudget.defaults();
        private Backoff backoff = Backoff.defaults();
        private Hedging hedging;
        private Scheduler scheduler = Scheduler.system();
        private EjectionPolicy ejection;
        private Consumer<LoadBalancerBuilder> customizer = lb -> {};
        private boolean customized;

        private Builder(String host) {
            this.host = host == null ? null : host.toLowerCase(Locale.ROOT);
        }

        /** The service's name in messages and metrics. Default: the host. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Where the pods come from: {@code dns:///…}, {@code k8s:///…} or {@code static:///…}. */
        public Builder target(String target) {
            this.target = target;
            return this;
        }

        /** A load balancer the application built and owns, instead of a target. */
        public Builder loadBalancer(LoadBalancer loadBalancer) {
            this.loadBalancer = loadBalancer;
            return this;
        }

        /**
         * How a pod is chosen. Default: sticky when a sticky key or learned cookie is set, else
         * round-robin. {@link Pickers#sticky() A sticky picker} needs a {@link #stickyKey sticky key}
         * (or {@link #learnCookie}), and a sticky key needs no picker or a sticky one:
         * {@link #build()} refuses either half alone rather than ignore it.
         */
        public Builder picker(PickerPolicy picker) {
            this.picker = picker;
            return this;
        }

        /**
         * Where a request's sticky key comes from; the picker is then {@link Pickers#sticky()} unless
         * another is given, and round-robin or least-request is refused with it.
         */
        public Builder stickyKey(StickyKey stickyKey) {
            this.stickyKey = stickyKey;
            return this;
        }

        /**
         * The session cookie pods set (such as {@code JSESSIONID}): once a pod sets it, requests
         * carrying it go to that pod while it is pickable, from any thread. Remembered in a bounded
         * {@link AffinityMemory} (default 100,000 sessions, forgotten after 30 minutes unused).
         */
        public Builder learnCookie(String cookieName) {
            return learnCookie(cookieName, AffinityMemory.builder().build());
        }

        /** As {@link #learnCookie(String)}, with the application's memory settings. */
        public Builder learnCookie(String cookieName, AffinityMemory memory) {
            this.learnCookie = Names.require("learned cookie name", cookieName);
            this.affinity = Objects.requireNonNull(memory, "affinity memory");
            return this;
        }

        /**
         * A header naming the pod a request must reach (pod name, {@code ip:port} or ip). Off by
         * default. Only discovered pods can be reached; the header is removed before the request leaves.
         */
        public Builder pinHeader(String headerName) {
            this.pinHeader = Names.require("pin header name", headerName);
            return this;
        }

        /** Attempts per call, the first included, each on a different pod while others exist. Default 3. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Response codes retried on another pod, for requests that may be sent twice: any 5xx, and
         * 408, 425 and 429, the 4xx answers another pod may not give. Default: none.
         */
        public Builder retryOnStatus(int... statuses) {
            for (int status : statuses) {
                if (status < 100 || status > 599) {
                    throw new IllegalArgumentException("retry status " + status + " of service " + host
                            + " is not an HTTP status; expected 100 to 599, such as 503");
                }
                if (status < 500 && status != 408 && status != 425 && status != 429) {
                    throw new IllegalArgumentException("retry status " + status + " of service " + host
                            + " is not retried: another pod would answer it alike; expected a 5xx, 408, 425 or 429,"
                            + " such as 503");
                }
                retryStatuses.add(status);
            }
            return this;
        }

        /**
         * Responses of calls that may be sent twice, whose body length is known and at most
         * {@code bytes}, are read whole before the call returns, so that a pod that dies in the
         * middle of a body costs a retry on another pod rather than a failed call. Longer bodies,
         * bodies of unknown length (chunked, or decompressed by OkHttp) and responses to calls that
         * must not be sent twice stream to the caller as they arrive. Default 64 KiB; 0 turns it off.
         */
        public Builder bufferResponsesUpTo(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("bufferResponsesUpTo of service " + host + " is " + bytes
                        + " bytes; expected 0 (off) or more, such as 65536 (the default)");
            }
            this.bufferResponsesUpTo = bytes;
            return this;
        }

        /**
         * Bounds each attempt, so that a retry still has time to run inside the call timeout: an
         * attempt's connect, and every wait on it for the pod to take or send bytes, end after
         * this long (or sooner, when the client's own connect, read or write timeout is shorter).
         * An attempt that runs out is a timeout against its pod, retried as any other. Off by
         * default, as in Envoy: then only the client's timeouts apply.
         */
        public Builder perTryTimeout(Duration perTryTimeout) {
            Objects.requireNonNull(perTryTimeout, "perTryTimeout");
            if (perTryTimeout.toMillis() < 1 || perTryTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("perTryTimeout of service " + host + " is " + perTryTimeout
                        + "; expected 1 ms or more, such as 500ms");
            }
            this.perTryTimeout = perTryTimeout;
            return this;
        }

        /**
         * How many retries the service's calls may add in all. Default {@link RetryBudget#defaults()}:
         * 20% of the calls plus 10 retries a second; {@link RetryBudget#unlimited()} turns it off.
         */
        public Builder retryBudget(RetryBudget retryBudget) {
            this.retryBudget = Objects.requireNonNull(retryBudget, "retry budget");
            return this;
        }

        /** The wait before each retry. Default {@link Backoff#defaults()}: jittered, 25 ms base, 250 ms max. */
        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /**
         * Hedged requests for this service: an idempotent call whose first attempt goes unanswered
         * for the hedging delay sends a second attempt to another pod; the first response wins and
         * the other attempt is cancelled, charged to its pod as neither success nor failure. Each
         * hedge draws one retry from the {@link #retryBudget}; a call makes at most two attempts
         * when hedged, and pinned calls and calls that may not be sent twice are never hedged.
         * Off by default.
         */
        public Builder hedging(Hedging hedging) {
            this.hedging = Objects.requireNonNull(hedging, "hedging");
            return this;
        }

        /**
         * The service's clock and timers: the retry budget's window and, for the load balancer
         * built here, its ejection timers. Default {@link Scheduler#system()}; tests give a
         * {@code ManualScheduler}.
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** When failing pods are ejected. Default: {@link EjectionPolicy#defaults()}. */
        public Builder ejection(EjectionPolicy ejection) {
            this.ejection = ejection;
            return this;
        }

        /** Any other load balancer setting (pin fallback…); applied last, so it overrides those above. */
        public Builder customize(Consumer<LoadBalancerBuilder> customizer) {
            this.customizer = this.customizer.andThen(Objects.requireNonNull(customizer, "customizer"));
            this.customized = true;
            return this;
        }

        public BalancedService build() {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("balanced service host is " + (host == null ? "null" : "blank")
                        + "; expected the host name requests use, such as backend.default.svc.cluster.local");
            }
            if ((target == null) == (loadBalancer == null)) {
                throw new IllegalArgumentException("balanced service " + host + " has "
                        + (target == null ? "neither a target nor a load balancer" : "both a target and a load balancer")
                        + "; expected exactly one, such as .target(\"dns:///" + host + ":8080\")");
            }
            if (loadBalancer != null && (picker != null || ejection != null || customized)) {
                throw new IllegalArgumentException("balanced service " + host + " is given its own load balancer and"
                        + " also " + (picker != null ? "a picker" : ejection != null ? "an ejection policy"
                        : "a load balancer customizer") + ", which only a load balancer podlb builds would use;"
                        + " expected those settings on the LoadBalancer you give, or a target instead");
            }
            checkStickyPair();
            if (maxAttempts < 1 || maxAttempts > 10) {
                throw new IllegalArgumentException("maxAttempts of service " + host + " is " + maxAttempts
                        + "; expected 1 to 10 (3 is the default)");
            }
            return new BalancedService(this);
        }

        /** A sticky key and a picker that ignores keys, or a sticky picker with no key, contradict each other. */
        private void checkStickyPair() {
            boolean keyed = stickyKey != null || learnCookie != null;
            String key = stickyKey != null ? "a stickyKey(...)" : "learnCookie(\"" + learnCookie + "\")";
            if (keyed && picker != null && Pickers.ignoresStickyKeys(picker)) {
                throw new IllegalArgumentException("balanced service " + host + " has " + key + " and picker(" + picker
                        + "), which ignores sticky keys; expected picker(Pickers.sticky()) or no picker (a sticky key"
                        + " alone makes the picker sticky), or no sticky key");
            }
            if (!keyed && picker != null && Pickers.isSticky(picker)) {
                throw new IllegalArgumentException("balanced service " + host + " has picker(" + picker + ") but no"
                        + " sticky key, so every request would go round-robin; expected stickyKey(...) (such as"
                        + " StickyKey.header(\"X-Session-Id\")) or learnCookie(...), or another picker");
            }
        }
    }
}
