package dev.podlb.core.discovery;

import dev.podlb.core.discovery.dns.DnsDiscovery;
import dev.podlb.core.discovery.dns.DnsSettings;
import dev.podlb.core.discovery.dns.DnsTarget;
import dev.podlb.core.discovery.kubernetes.KubernetesTarget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where load balancers get their resolvers: one resolver per target, shared by every user of that
 * target (one DNS refresh loop, one EndpointSlice informer) and closed with its last user.
 *
 * <pre>{@code
 * Discovery discovery = Discovery.builder()
 *         .dns(DnsSettings.builder().ipFamily(IpFamily.IPV4).build())
 *         .kubernetes(KubernetesDiscovery.using(kubernetesClient))
 *         .build();
 * LoadBalancer lb = LoadBalancer.builder("backend").target("k8s:///backend.default:http").discovery(discovery).build();
 * }</pre>
 *
 * Without a builder, load balancers use {@link #defaults()}: resolv.conf's DNS settings, and for
 * {@code k8s:///} a Kubernetes client configured from the pod's service account or the kubeconfig.
 */
public final class Discovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Discovery.class);
    private static final String KUBERNETES_CLIENT = "io.fabric8.kubernetes.client.KubernetesClient";

    private final Map<String, Supplier<ResolverFactory>> factorySuppliers;
    private final Map<String, ResolverFactory> factories = new HashMap<>();
    private final Map<Target, Shared> shared = new HashMap<>();
    private boolean closed;

    private Discovery(Map<String, Supplier<ResolverFactory>> factorySuppliers) {
        this.factorySuppliers = factorySuppliers;
    }

    /** The process-wide discovery load balancers use unless given another; its resolvers close with their last user. */
    public static Discovery defaults() {
        return Defaults.INSTANCE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks {@code target} as its resolver will read it, without opening one, so that a malformed
     * target can be reported where it is configured.
     *
     * @throws IllegalArgumentException naming the part that is wrong and the expected form
     */
    public static Target check(String target) {
        Target parsed = Target.parse(target);
        switch (parsed.scheme()) {
            case "dns" -> DnsTarget.parse(parsed);
            case "k8s" -> KubernetesTarget.parse(parsed);
            case "static" -> StaticResolver.forTarget(parsed);
            default -> {
                // A scheme of the application's: its resolver factory checks it when it is opened.
            }
        }
        return parsed;
    }

    /**
     * A resolver for {@code target}: the one already open for it, or a new one. Closing what this
     * returns releases it; the resolver stops when its last user has released it.
     */
    public Resolver open(Target target) {
        Objects.requireNonNull(target, "target");
        Shared entry;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("discovery is closed; cannot open " + target);
            }
            entry = shared.get(target);
            if (entry == null) {
                Resolver resolver = factory(target).create(target);
                entry = new Shared(target, resolver);
                shared.put(target, entry);
            }
            entry.users++;
        }
        return new Lease(entry);
    }

    /** The number of resolvers open now, for tests and operators. */
    public synchronized int openResolvers() {
        return shared.size();
    }

    private ResolverFactory factory(Target target) {
        Supplier<ResolverFactory> supplier = factorySuppliers.get(target.scheme());
        if (supplier == null) {
            throw new IllegalArgumentException("target \"" + target + "\" has unknown scheme \"" + target.scheme()
                    + "\"; expected one of " + String.join(", ", new java.util.TreeSet<>(factorySuppliers.keySet()))
                    + " (Discovery.Builder.scheme(...) registers others)");
        }
        return factories.computeIfAbsent(target.scheme(), scheme -> supplier.get());
    }

    private void release(Shared entry) {
        boolean last;
        synchronized (this) {
            last = --entry.users == 0;
            if (last) {
                shared.remove(entry.target);
            }
        }
        if (last) {
            entry.resolver.close();
        }
    }

    /** Closes every resolver still open and what the factories hold (clients created for them). */
    @Override
    public void close() {
        List<Shared> open;
        List<ResolverFactory> made;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(shared.values());
            shared.clear();
            made = new ArrayList<>(factories.values());
            factories.clear();
        }
        for (Shared entry : open) {
            entry.resolver.close();
        }
        for (ResolverFactory factory : made) {
            try {
                factory.close();
            } catch (RuntimeException e) {
                log.warn("closing {} failed", factory, e);
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "Discovery{open=" + shared.keySet() + "}";
    }

    public static final class Builder {
        private final Map<String, Supplier<ResolverFactory>> factories = new HashMap<>();

        private Builder() {
            factories.put("static", () -> StaticResolver::forTarget);
            factories.put("dns", () -> DnsDiscovery.using(DnsSettings.system()));
            factories.put("k8s", Builder::kubernetesFromEnvironment);
        }

        /** How {@code dns:///} targets are resolved. Default: {@link DnsSettings#system()}. */
        public Builder dns(DnsSettings settings) {
            Objects.requireNonNull(settings, "DNS settings");
            factories.put("dns", () -> DnsDiscovery.using(settings));
            return this;
        }

        /**
         * How {@code k8s:///} targets are resolved, such as {@code KubernetesDiscovery.using(client)}.
         * Default: a client configured from the pod's service account, else the kubeconfig.
         */
        public Builder kubernetes(ResolverFactory kubernetes) {
            Objects.requireNonNull(kubernetes, "Kubernetes resolver factory");
            factories.put("k8s", () -> kubernetes);
            return this;
        }

        /**
         * Resolves targets of another scheme, {@code scheme:///...}, with the application's own
         * factory: a service registry, a file, a control plane.
         *
         * <pre>{@code
         * Discovery.builder().scheme("consul", target -> new ConsulResolver(target.path())).build();
         * }</pre>
         */
        public Builder scheme(String scheme, ResolverFactory factory) {
            Objects.requireNonNull(factory, "resolver factory");
            String name = scheme == null ? "" : scheme.toLowerCase(java.util.Locale.ROOT);
            if (!Target.isSchemeName(name)) {
                throw new IllegalArgumentException("discovery scheme \"" + scheme + "\" is not a scheme name; expected a"
                        + " letter then letters, digits, +, - or ., such as consul");
            }
            if (Target.SCHEMES.contains(name)) {
                throw new IllegalArgumentException("discovery scheme " + name + " is podlb's own; expected another name,"
                        + " or .dns(...) / .kubernetes(...) to configure it");
            }
            factories.put(name, () -> factory);
            return this;
        }

        public Discovery build() {
            return new Discovery(Map.copyOf(factories));
        }

        private static ResolverFactory kubernetesFromEnvironment() {
            try {
                Class.forName(KUBERNETES_CLIENT, false, Discovery.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("k8s:/// targets need the fabric8 Kubernetes client, which is not on the"
                        + " class path; expected io.fabric8:kubernetes-client and io.fabric8:kubernetes-httpclient-jdk"
                        + " as dependencies, or a dns:/// target");
            }
            return KubernetesSupport.fromEnvironment();
        }
    }

    /** Kept apart so that {@link Discovery} loads without fabric8 on the class path. */
    private static final class KubernetesSupport {
        static ResolverFactory fromEnvironment() {
            return dev.podlb.core.discovery.kubernetes.KubernetesDiscovery.fromEnvironment();
        }
    }

    private static final class Defaults {
        static final Discovery INSTANCE = new Builder().build();
    }

    private static final class Shared {
        final Target target;
        final Resolver resolver;
        int users;

        Shared(Target target, Resolver resolver) {
            this.target = target;
            this.resolver = resolver;
        }
    }

    /** One user's hold on a shared resolver. */
    private final class Lease implements Resolver {
        private final Shared entry;
        private boolean released;

        Lease(Shared entry) {
            this.entry = entry;
        }

        @Override
        public Subscription subscribe(Listener listener) {
            return entry.resolver.subscribe(listener);
        }

        @Override
        public String describe() {
            return entry.resolver.describe();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            release(entry);
        }

        @Override
        public String toString() {
            return entry.resolver.toString();
        }
    }
}
