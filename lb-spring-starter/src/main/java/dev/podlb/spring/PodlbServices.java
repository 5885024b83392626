package dev.podlb.spring;

import static dev.podlb.spring.PodlbConfigurationException.check;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Target;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.topology.TopologyPolicy;
import dev.podlb.okhttp.Backoff;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.CallListener;
import dev.podlb.okhttp.Hedging;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import dev.podlb.okhttp.RetryBudget;
import dev.podlb.okhttp.PathRoutes;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;

/**
 * The services of {@code podlb.services}, checked and running: the OkHttp interceptor that
 * balances their requests, and a {@link LoadBalancer} for each. A bad value fails start-up with a
 * {@link PodlbConfigurationException} naming the property, the value and what is expected.
 */
public final class PodlbServices implements AutoCloseable {
    private static final String KUBERNETES_CLIENT = "io.fabric8.kubernetes.client.KubernetesClient";

    private final Map<String, String> hosts = new LinkedHashMap<>();
    private final Map<String, String> targets = new LinkedHashMap<>();
    private final Map<String, LoadBalancer> loadBalancers = new LinkedHashMap<>();
    private final Set<String> routeHosts = new LinkedHashSet<>();
    private final LoadBalancingInterceptor interceptor;
    private final ClassLoader classLoader;

    PodlbServices(PodlbProperties properties, Discovery discovery, List<CallListener> listeners, ClassLoader classLoader) {
        this.classLoader = classLoader;
        LoadBalancingInterceptor.Builder builder = LoadBalancingInterceptor.builder().discovery(discovery);
        listeners.forEach(builder::listener);
        properties.getServices().forEach((name, service) -> builder.service(service(name, service)));
        for (int i = 0; i < properties.getRoutes().size(); i++) {
            builder.route(route("podlb.routes[" + i + "]", properties.getRoutes().get(i)));
        }
        if (properties.getServices().isEmpty()) {
            throw new PodlbConfigurationException("podlb.services", "{}", "no service is configured; expected at least"
                    + " one, such as podlb.services.backend.target=dns:///backend.default.svc.cluster.local:8080", null);
        }
        this.interceptor = builder.build();
        hosts.forEach((name, host) -> loadBalancers.put(name, interceptor.loadBalancer(host)));
    }

    /** The interceptor that balances the services' requests. */
    public LoadBalancingInterceptor interceptor() {
        return interceptor;
    }

    /** The load balancer of each service, by its name under {@code podlb.services}. */
    public Map<String, LoadBalancer> loadBalancers() {
        return Collections.unmodifiableMap(loadBalancers);
    }

    /** Every host whose requests podlb balances: the services' hosts and the routes' hosts, lower case. */
    public Set<String> balancedHosts() {
        Set<String> all = new LinkedHashSet<>(hosts.values());
        all.addAll(routeHosts);
        return Collections.unmodifiableSet(all);
    }

    /** The host whose requests go to service {@code name}. */
    public String host(String name) {
        return hosts.get(name);
    }

    /** The target of service {@code name}. */
    public String target(String name) {
        return targets.get(name);
    }

    private BalancedService service(String name, PodlbProperties.Service service) {
        String prefix = "podlb.services." + name;
        String target = service.getTarget();
        Target parsed = check(prefix + ".target", target, () -> checkTarget(name, target));
        if (parsed.scheme().equals("k8s") && !ClassUtils.isPresent(KUBERNETES_CLIENT, classLoader)) {
            throw new PodlbConfigurationException(prefix + ".target", target, "k8s:/// targets need the fabric8 Kubernetes"
                    + " client, which is not on the class path; expected the dependencies io.fabric8:kubernetes-client and"
                    + " io.fabric8:kubernetes-httpclient-jdk, or a dns:/// target such as dns:///" + name
                    + ".default.svc.cluster.local:8080",
                    "Add io.fabric8:kubernetes-client (excluding io.fabric8:kubernetes-httpclient-vertx-5) and"
                    + " io.fabric8:kubernetes-httpclient-jdk to your dependencies, or change '" + prefix + ".target' to a"
                    + " dns:/// target.", null);
        }
        String host = (service.getHost() != null ? service.getHost() : name).toLowerCase(Locale.ROOT);
        hosts.put(name, host);
        targets.put(name, target);
        BalancedService.Builder builder = BalancedService.builder(host).name(name).target(target);
        ServicePicker.apply(prefix, service, builder);
        if (service.getPinHeader() != null) {
            check(prefix + ".pin-header", service.getPinHeader(), () -> builder.pinHeader(service.getPinHeader()));
        }
        WhenPinUnavailable whenPinUnavailable = service.getWhenPinUnavailable();
        builder.ejection(ServiceEjection.policy(prefix + ".ejection", service.getEjection()));
        PodlbProperties.Retry retry = service.getRetry();
        for (Integer status : retry.getOnStatus()) {
            check(prefix + ".retry.on-status", status, () -> builder.retryOnStatus(status));
        }
        DataSize buffer = retry.getBufferResponsesUpTo();
        check(prefix + ".retry.buffer-responses-up-to", buffer, () -> builder.bufferResponsesUpTo(buffer.toBytes()));
        if (retry.getPerTryTimeout() != null) {
            check(prefix + ".retry.per-try-timeout", retry.getPerTryTimeout(), () -> builder.perTryTimeout(retry.getPerTryTimeout()));
        }
        builder.retryBudget(retryBudget(prefix + ".retry.budget", retry.getBudget()));
        builder.backoff(backoff(prefix + ".retry.backoff", retry.getBackoff()));
        Hedging hedging = hedging(prefix + ".hedging", service.getHedging());
        if (hedging != null) {
            builder.hedging(hedging);
        }
        TopologyPolicy topology = ServiceTopology.policy(prefix + ".topology", service.getTopology());
        boolean recordLatency = service.isRecordLatency();
        builder.customize(lb -> {
            lb.topology(topology).whenPinUnavailable(whenPinUnavailable);
            if (recordLatency) {
                lb.recordLatency();
            }
        });
        builder.maxAttempts(retry.getMaxAttempts());
        return check(prefix + ".retry.max-attempts", retry.getMaxAttempts(), builder::build);
    }

    /** The budget of {@code prefix} ({@code podlb.services.<name>.retry.budget}), each setting checked against its property. */
    private static RetryBudget retryBudget(String prefix, PodlbProperties.Budget budget) {
        if (!budget.isEnabled()) {
            return RetryBudget.unlimited();
        }
        check(prefix + ".ratio", budget.getRatio(), () -> RetryBudget.builder().ratio(budget.getRatio()).build());
        check(prefix + ".min-retries-per-second", budget.getMinRetriesPerSecond(),
                () -> RetryBudget.builder().minRetriesPerSecond(budget.getMinRetriesPerSecond()).build());
        return check(prefix + ".ttl", budget.getTtl(), () -> RetryBudget.builder().ratio(budget.getRatio())
                .minRetriesPerSecond(budget.getMinRetriesPerSecond()).ttl(budget.getTtl()).build());
    }

    /**
     * The hedging of {@code prefix} ({@code podlb.services.<name>.hedging}), or null when off:
     * after alone, or percentile with initial-delay.
     */
    private static Hedging hedging(String prefix, PodlbProperties.Hedging hedging) {
        Duration after = hedging.getAfter();
        Double percentile = hedging.getPercentile();
        Duration initialDelay = hedging.getInitialDelay();
        if (after != null && percentile != null) {
            throw new PodlbConfigurationException(prefix + ".percentile", percentile, prefix + ".after is set too; expected"
                    + " one of them: after (a fixed delay) or percentile with initial-delay", null);
        }
        if (percentile == null && initialDelay != null) {
            throw new PodlbConfigurationException(prefix + ".initial-delay", initialDelay, "it applies to hedging.percentile"
                    + " only, which is not set; expected hedging.percentile, or hedging.after alone", null);
        }
        if (after != null) {
            return check(prefix + ".after", after, () -> Hedging.after(after));
        }
        if (percentile == null) {
            return null;
        }
        if (initialDelay == null) {
            throw new PodlbConfigurationException(prefix + ".initial-delay", null, "hedging.percentile needs it; expected the"
                    + " delay used until the percentile is known, such as 50ms", null);
        }
        // Checked alone first, so that a bad percentile is named as such, not as the delay.
        check(prefix + ".percentile", percentile, () -> Hedging.atPercentile(percentile, Duration.ofMillis(50)));
        return check(prefix + ".initial-delay", initialDelay, () -> Hedging.atPercentile(percentile, initialDelay));
    }

    /** The backoff of {@code prefix} ({@code podlb.services.<name>.retry.backoff}); a base of 0 retries at once. */
    private static Backoff backoff(String prefix, PodlbProperties.Backoff backoff) {
        Duration base = backoff.getBase();
        if (Duration.ZERO.equals(base)) {
            return Backoff.none();
        }
        if (base == null || base.isNegative()) {
            throw new PodlbConfigurationException(prefix + ".base", base, "expected 0 (retry at once) or more, such as 25ms", null);
        }
        // The base is positive, so what Backoff refuses is a max below it or above its cap.
        return check(prefix + ".max", backoff.getMax(), () -> Backoff.jittered(base, backoff.getMax()));
    }

    /** Parses the target as its resolver will, so that a malformed one is reported against its property. */
    private static Target checkTarget(String name, String target) {
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("service " + name + " has no target; expected where its pods come from,"
                    + " such as dns:///backend.default.svc.cluster.local:8080 or k8s:///backend.default:http");
        }
        return Discovery.check(target);
    }

    private PathRoutes route(String prefix, PodlbProperties.Route properties) {
        if (properties.getHost() == null || properties.getHost().isBlank()) {
            throw new PodlbConfigurationException(prefix + ".host", properties.getHost(),
                    "a route needs the host whose paths it routes, such as myapp", null);
        }
        PathRoutes.Builder route = check(prefix + ".host", properties.getHost(), () -> PathRoutes.builder(properties.getHost()));
        routeHosts.add(properties.getHost().toLowerCase(Locale.ROOT));
        for (int i = 0; i < properties.getPaths().size(); i++) {
            PodlbProperties.RoutePath path = properties.getPaths().get(i);
            String at = prefix + ".paths[" + i + "]";
            String host = serviceHost(at + ".service", path.getService());
            check(at + ".path", path.getPath(), () -> path.getType() == PathRoutes.PathType.EXACT
                    ? route.exact(path.getPath(), host) : route.prefix(path.getPath(), host));
        }
        if (properties.getDefaultService() != null) {
            route.defaultService(serviceHost(prefix + ".default-service", properties.getDefaultService()));
        }
        return check(prefix, properties.getHost(), route::build);
    }

    private String serviceHost(String property, String service) {
        String host = hosts.get(service);
        if (host == null) {
            throw new PodlbConfigurationException(property, service, "no service of that name; expected one of "
                    + hosts.keySet() + " (the names under podlb.services)", null);
        }
        return host;
    }

    @Override
    public void close() {
        interceptor.close();
    }

    @Override
    public String toString() {
        return "PodlbServices{" + targets + "}";
    }
}
