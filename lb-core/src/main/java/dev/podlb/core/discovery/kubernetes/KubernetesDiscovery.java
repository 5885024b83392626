package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.ResolverFactory;
import dev.podlb.core.discovery.Target;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import dev.podlb.core.internal.Durations;
import dev.podlb.core.internal.Executors;
import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Resolves {@code k8s:///} targets by watching EndpointSlices through the fabric8 Kubernetes client.
 *
 * <pre>{@code
 * Discovery discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
 * }</pre>
 *
 * A client given with {@link #using} stays the application's to close. The client of
 * {@link #fromEnvironment()} is configured from the pod's service account when running in a
 * cluster, else from the kubeconfig; it is created for the first resolver and closed after the last.
 */
public final class KubernetesDiscovery implements ResolverFactory {
    /** How often a watch is checked against a fresh list by default. */
    public static final Duration DEFAULT_FRESHNESS_CHECK = Duration.ofSeconds(30);

    private final Supplier<KubernetesClient> clientSupplier;
    private final boolean ownsClient;
    private final Duration freshnessCheck;
    private final Scheduler scheduler;
    private final boolean readServices;
    /** Where the resolvers' freshness checks, which wait on the API server, run. */
    private final ExecutorService checks = Executors.singleIdleThread("k8s-check");
    private KubernetesClient client;
    private int resolvers;

    private KubernetesDiscovery(Supplier<KubernetesClient> clientSupplier, boolean ownsClient, Duration freshnessCheck,
                                Scheduler scheduler, boolean readServices) {
        this.readServices = readServices;
        this.clientSupplier = clientSupplier;
        this.ownsClient = ownsClient;
        this.freshnessCheck = Durations.requirePositive("Kubernetes freshnessCheck", freshnessCheck, "30s");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Uses the application's client, and leaves it open. */
    public static KubernetesDiscovery using(KubernetesClient client) {
        Objects.requireNonNull(client, "Kubernetes client");
        return new KubernetesDiscovery(() -> client, false, DEFAULT_FRESHNESS_CHECK, Scheduler.system(), true);
    }

    /** Creates its own client from the service account or the kubeconfig, while resolvers use it. */
    public static KubernetesDiscovery fromEnvironment() {
        return new KubernetesDiscovery(() -> new KubernetesClientBuilder().build(), true, DEFAULT_FRESHNESS_CHECK,
                Scheduler.system(), true);
    }

    /**
     * How often each watch is compared with a fresh list of the service's EndpointSlices, one
     * small LIST served from the API server's cache; a watch that died unnoticed is replaced.
     * Default: {@link #DEFAULT_FRESHNESS_CHECK}.
     */
    public KubernetesDiscovery withFreshnessCheck(Duration every) {
        return new KubernetesDiscovery(clientSupplier, ownsClient, every, scheduler, readServices);
    }

    /**
     * Whether each resolver also watches its Service object, for its {@code spec.trafficDistribution}
     * (shown in status; routing follows the EndpointSlices' hints either way). Default true; it needs
     * get, list and watch on services, and a denial is logged once and tolerated.
     */
    public KubernetesDiscovery readingServices(boolean read) {
        return new KubernetesDiscovery(clientSupplier, ownsClient, freshnessCheck, scheduler, read);
    }

    /**
     * Time and delayed work for the freshness checks and for batching the rebuilds of events that
     * come close together; a {@link dev.podlb.core.time.ManualScheduler} in tests.
     */
    public KubernetesDiscovery withScheduler(Scheduler scheduler) {
        return new KubernetesDiscovery(clientSupplier, ownsClient, freshnessCheck, scheduler, readServices);
    }

    @Override
    public synchronized Resolver create(Target target) {
        KubernetesTarget parsed = KubernetesTarget.parse(target);
        if (client == null) {
            client = clientSupplier.get();
        }
        resolvers++;
        try {
            return new KubernetesResolver(parsed, client, freshnessCheck, scheduler, checks, this::resolverClosed,
                    readServices);
        } catch (RuntimeException | Error e) {
            resolverClosed(); // a client this discovery created is not left open for a resolver that never ran
            throw e;
        }
    }

    private void resolverClosed() {
        KubernetesClient toClose = null;
        synchronized (this) {
            if (--resolvers == 0 && ownsClient) {
                toClose = client;
                client = null;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    @Override
    public void close() {
        checks.shutdown();
        KubernetesClient toClose;
        synchronized (this) {
            toClose = ownsClient ? client : null;
            client = null;
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    @Override
    public String toString() {
        return "KubernetesDiscovery{" + (ownsClient ? "client from the environment" : "application's client") + "}";
    }
}
