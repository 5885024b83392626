package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.internal.Futures;
import dev.podlb.core.internal.InetAddresses;
import dev.podlb.core.time.Scheduler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the EndpointSlices of one Service (label {@code kubernetes.io/service-name}, never the
 * whole namespace) and publishes the endpoints of all of its slices, IPv4 and IPv6, as one set.
 *
 * <p>The first set is published only once the informer's initial list has synced, so it is never
 * partial. When the watch drops or the API server restarts, the informer lists again and the last
 * good set serves meanwhile; because every set is rebuilt from the informer's whole store, nothing
 * is duplicated or lost afterwards.
 */
final class KubernetesResolver extends PublishingResolver {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final Logger log = LoggerFactory.getLogger(KubernetesResolver.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);

    private final KubernetesTarget target;
    private final String namespace;
    private final KubernetesClient client;
    private final Duration freshnessCheck;
    private final Scheduler scheduler;
    private final Executor checks;
    private final Runnable onClose;
    private final Object lock = new Object();
    private final ResourceEventHandler<EndpointSlice> events = new ResourceEventHandler<>() {
        @Override
        public void onAdd(EndpointSlice slice) {
            rebuild();
        }

        @Override
        public void onUpdate(EndpointSlice before, EndpointSlice after) {
            rebuild();
        }

        @Override
        public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
            rebuild();
        }
    };
    private volatile SharedIndexInformer<EndpointSlice> informer;
    private Scheduler.Cancellable nextCheck;
    private boolean closed;
    private boolean failing;
    private String lastSkipped = "";

    KubernetesResolver(KubernetesTarget target, KubernetesClient client, Duration freshnessCheck, Scheduler scheduler,
                       Executor checks, Runnable onClose) {
        this.checks = checks;
        this.target = target;
        this.client = client;
        this.namespace = target.namespace().orElseGet(() -> client.getNamespace() != null ? client.getNamespace() : "default");
        this.freshnessCheck = freshnessCheck;
        this.scheduler = scheduler;
        this.onClose = onClose;
        this.informer = startInformer();
        scheduleFreshnessCheck();
    }

    private SharedIndexInformer<EndpointSlice> startInformer() {
        SharedIndexInformer<EndpointSlice> started = slices().runnableInformer(0);
        started.addEventHandler(events);
        started.exceptionHandler((isStarted, error) -> {
            watchFailed(error);
            return true;
        });
        started.start().whenComplete((unused, error) -> {
            if (error != null) {
                watchFailed(error);
            } else {
                rebuild();
            }
        });
        return started;
    }

    private FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>> slices() {
        return client.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_NAME_LABEL, target.service());
    }

    /**
     * A watch can die without the client noticing (seen with the JDK HTTP transport when the API
     * server's connection drops): the informer then waits forever while the set goes stale. So
     * every {@code freshnessCheck} the slices are listed (from the API server's cache) and compared
     * with the informer's; when they differ, a new informer lists and watches from scratch. The
     * check blocks on the API server, so it runs on its own thread, never the shared scheduler's.
     */
    private void checkFreshness() {
        try {
            checks.execute(this::checkFreshnessNow);
        } catch (RejectedExecutionException closedDiscovery) {
            log.debug("{}: no freshness check after its discovery closed", target);
        }
    }

    private void checkFreshnessNow() {
        SharedIndexInformer<EndpointSlice> current = informer;
        try {
            if (current.hasSynced()) {
                Map<String, String> listed = versions(slices().list(new ListOptionsBuilder().withResourceVersion("0").build())
                        .getItems());
                if (!listed.equals(versions(current.getStore().list()))) {
                    log.warn("{}: the watch missed changes (its connection died unnoticed); listing and watching again", target);
                    synchronized (lock) {
                        if (closed) {
                            return;
                        }
                        informer = startInformer();
                    }
                    current.stop();
                }
            }
        } catch (RuntimeException unreachable) {
            log.debug("{}: freshness check could not list EndpointSlices; the last good set serves", target, unreachable);
        } finally {
            scheduleFreshnessCheck();
        }
    }

    private void scheduleFreshnessCheck() {
        synchronized (lock) {
            if (!closed) {
                nextCheck = scheduler.schedule(freshnessCheck, this::checkFreshness);
            }
        }
    }

    private static Map<String, String> versions(List<EndpointSlice> slices) {
        Map<String, String> versions = new HashMap<>();
        for (EndpointSlice slice : slices) {
            if (slice.getMetadata() != null) {
                versions.put(slice.getMetadata().getName(), slice.getMetadata().getResourceVersion());
            }
        }
        return versions;
    }

    @Override
    public String describe() {
        return target + " (EndpointSlices of service " + target.service() + " in namespace " + namespace + ")";
    }

    /** Stops the watch and waits briefly for it to end, so that its connection is not left open. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (nextCheck != null) {
                nextCheck.cancel();
            }
        }
        SharedIndexInformer<EndpointSlice> informer = this.informer;
        informer.stop();
        try {
            informer.stopped().toCompletableFuture().get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("{}: the informer did not stop cleanly within {}", target, STOP_WAIT, e);
        }
        onClose.run();
    }

    /** Rebuilds the set from the informer's store; a slice podlb cannot read never stops later updates. */
    private void rebuild() {
        try {
            rebuildFromStore();
        } catch (RuntimeException e) {
            log.error("{}: reading the EndpointSlices failed; the last good set serves", target, e);
            publishError(new KubernetesDiscoveryException(target + ": reading the EndpointSlices failed: " + e, false, e));
        }
    }

    private void rebuildFromStore() {
        SharedIndexInformer<EndpointSlice> informer = this.informer;
        if (informer == null || !informer.hasSynced()) {
            return;
        }
        List<EndpointSlice> slices = new ArrayList<>(informer.getStore().list());
        slices.sort(Comparator.comparing(slice -> slice.getMetadata() == null ? "" : String.valueOf(slice.getMetadata().getName())));
        synchronized (lock) {
            if (failing) {
                failing = false;
                log.info("{}: watching EndpointSlices again", target);
            }
            if (slices.isEmpty() && current() == null) {
                publishError(new KubernetesDiscoveryException(target + ": service " + target.service() + " in namespace "
                        + namespace + " has no EndpointSlice; expected an existing Service with a selector (is the name"
                        + " or the namespace wrong?)", true));
                return;
            }
            List<Endpoint> endpoints = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (EndpointSlice slice : slices) {
                addEndpoints(slice, endpoints, skipped);
            }
            String skippedText = String.join("; ", skipped);
            if (!skippedText.equals(lastSkipped)) {
                lastSkipped = skippedText;
                if (!skipped.isEmpty()) {
                    log.warn("{}: left out: {}", target, skippedText);
                }
            }
            publish(EndpointSet.of(0, endpoints));
        }
    }

    private void addEndpoints(EndpointSlice slice, List<Endpoint> into, List<String> skipped) {
        String sliceName = slice.getMetadata() == null ? "?" : slice.getMetadata().getName();
        String type = slice.getAddressType();
        if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
            skipped.add("slice " + sliceName + " has address type " + type + " (expected IPv4 or IPv6)");
            return;
        }
        int port = port(slice);
        if (port < 0) {
            skipped.add("slice " + sliceName + " has no port " + target.portText() + " (it has " + ports(slice) + ")");
            return;
        }
        if (slice.getEndpoints() == null) {
            return;
        }
        for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
            if (e == null || e.getAddresses() == null) {
                continue;
            }
            Readiness readiness = readiness(e.getConditions());
            String pod = e.getTargetRef() != null ? e.getTargetRef().getName() : e.getHostname();
            for (String address : e.getAddresses()) {
                InetAddress parsed = address == null ? null : InetAddresses.parseLiteral(address);
                if (parsed == null) {
                    skipped.add("slice " + sliceName + " address \"" + address + "\" is not an IP address");
                    continue;
                }
                try {
                    into.add(Endpoint.builder(parsed, port)
                            .podName(pod)
                            .nodeName(e.getNodeName())
                            .zone(e.getZone())
                            .readiness(readiness)
                            .build());
                } catch (IllegalArgumentException bad) {
                    skipped.add("slice " + sliceName + " address \"" + address + "\": " + bad.getMessage());
                }
            }
        }
    }

    /**
     * The EndpointSlice conditions as the Kubernetes documentation reads them: an absent
     * {@code ready} or {@code serving} means true, an absent {@code terminating} false.
     */
    static Readiness readiness(EndpointConditions conditions) {
        boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
        boolean serving = conditions == null || conditions.getServing() == null ? ready : conditions.getServing();
        boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
        if (ready && !terminating) {
            return Readiness.READY;
        }
        return serving && terminating ? Readiness.TERMINATING : Readiness.NOT_READY;
    }

    private int port(EndpointSlice slice) {
        if (target.portName().isEmpty()) {
            return target.portNumber();
        }
        if (slice.getPorts() != null) {
            for (EndpointPort port : slice.getPorts()) {
                if (port != null && target.portName().get().equals(port.getName()) && port.getPort() != null) {
                    return port.getPort();
                }
            }
        }
        return -1;
    }

    private static String ports(EndpointSlice slice) {
        List<String> names = new ArrayList<>();
        if (slice.getPorts() != null) {
            for (EndpointPort port : slice.getPorts()) {
                if (port != null) {
                    names.add((port.getName() == null || port.getName().isEmpty() ? "(unnamed)" : port.getName()) + "="
                            + port.getPort());
                }
            }
        }
        return names.isEmpty() ? "no ports" : String.join(", ", names);
    }

    private void watchFailed(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        KubernetesDiscoveryException failure = new KubernetesDiscoveryException(target + ": " + explain(cause), isDefinite(cause), cause);
        boolean first;
        synchronized (lock) {
            if (closed) {
                return; // stopping the informer fails its start: that is no news
            }
            first = !failing;
            failing = true;
        }
        if (first) {
            log.warn("{}{}", failure.getMessage(), current() != null ? "; the last good set serves meanwhile" : "");
        }
        publishError(failure);
    }

    /** Access denied or refused credentials: an answer that retrying will not change. */
    private static boolean isDefinite(Throwable cause) {
        return cause instanceof KubernetesClientException
                && (((KubernetesClientException) cause).getCode() == 403 || ((KubernetesClientException) cause).getCode() == 401);
    }

    private String explain(Throwable cause) {
        if (cause instanceof KubernetesClientException) {
            int code = ((KubernetesClientException) cause).getCode();
            if (code == 403) {
                return "listing EndpointSlices in namespace " + namespace + " was denied (403 Forbidden); expected a Role"
                        + " granting get, list and watch on endpointslices (apiGroup discovery.k8s.io) to the client's"
                        + " service account";
            }
            if (code == 401) {
                return "the API server refused the client's credentials (401 Unauthorized)";
            }
        }
        return "watching EndpointSlices in namespace " + namespace + " failed: " + cause;
    }

    @Override
    public String toString() {
        return "KubernetesResolver{" + describe() + ", " + current() + "}";
    }
}
