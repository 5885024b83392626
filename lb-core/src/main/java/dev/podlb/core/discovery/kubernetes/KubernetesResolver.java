package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.internal.Executors;
import dev.podlb.core.internal.Futures;
import dev.podlb.core.internal.SerialContext;
import dev.podlb.core.time.Scheduler;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the EndpointSlices of one Service (label {@code kubernetes.io/service-name}, never the
 * whole namespace) and publishes the endpoints of all of its slices, IPv4 and IPv6, as one set,
 * once per informer event.
 *
 * <p>The first set is published only once the informer's initial list has synced, so it is never
 * partial. When the watch drops or the API server restarts, the informer lists again and the last
 * good set serves meanwhile; because every set is rebuilt from the informer's whole store, nothing
 * is duplicated or lost afterwards. Each slice is read once per resourceVersion.
 *
 * <p>Threads: informer events and the informer's start arrive on fabric8's threads and ask for a
 * rebuild; rebuilds run one at a time through this resolver's {@link SerialContext}, on the asking
 * thread or, for events batched within {@link #BATCH} (timed by the discovery's scheduler), on a
 * podlb update thread, and publish with no lock held, so subscribers are called on those threads,
 * one set at a time. Freshness checks run on the discovery's {@code podlb-k8s-check} thread,
 * planned on the scheduler.
 */
final class KubernetesResolver extends PublishingResolver {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final Logger log = LoggerFactory.getLogger(KubernetesResolver.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);

    /** An informer over the Service's slices, not yet started. */
    private static final Function<FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>>,
            SharedIndexInformer<EndpointSlice>> INFORMER = slices -> slices.runnableInformer(0);

    private final KubernetesTarget target;
    private final String namespace;
    private final KubernetesClient client;
    private final Duration freshnessCheck;
    private final Scheduler scheduler;
    private final Executor checks;
    private final Runnable onClose;
    private final Function<FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>>,
            SharedIndexInformer<EndpointSlice>> informers;
    private final Object lock = new Object();
    /** Events within this of the last rebuild are read together. */
    static final Duration BATCH = Duration.ofMillis(50);

    /** Rebuilds run one at a time, in order, on whichever thread asks (or the one already rebuilding). */
    private final SerialContext rebuilds = new SerialContext("EndpointSlice rebuilds", Runnable::run);
    // On rebuilds only.
    private final SliceEndpoints sliceEndpoints;
    private long lastRebuildNanos = Long.MIN_VALUE;
    private boolean rebuildPlanned;
    /** Used by the freshness checks only, which run one at a time. */
    private final WatchFreshness freshness = new WatchFreshness();
    /** The informer whose events count; set before it starts, so that its first events find it. */
    private volatile SharedIndexInformer<EndpointSlice> informer;
    /** The Service's traffic distribution, when read; {@code null} when services are not read. */
    private final ServiceWatch service;
    private Scheduler.Cancellable nextCheck;
    private boolean closed;
    private boolean failing;
    /** On rebuilds only. */
    private String lastSkipped = "";

    KubernetesResolver(KubernetesTarget target, KubernetesClient client, Duration freshnessCheck, Scheduler scheduler,
                       Executor checks, Runnable onClose, boolean readService) {
        this(target, client, freshnessCheck, scheduler, checks, onClose, INFORMER, readService);
    }

    /** With {@code informers} making each informer from the Service's slices: tests wrap the real ones. */
    KubernetesResolver(KubernetesTarget target, KubernetesClient client, Duration freshnessCheck, Scheduler scheduler,
                       Executor checks, Runnable onClose,
                       Function<FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>>,
                               SharedIndexInformer<EndpointSlice>> informers, boolean readService) {
        this.checks = checks;
        this.target = target;
        this.client = client;
        this.namespace = target.namespace().orElseGet(() -> client.getNamespace() != null ? client.getNamespace() : "default");
        this.freshnessCheck = freshnessCheck;
        this.scheduler = scheduler;
        this.onClose = onClose;
        this.informers = informers;
        this.sliceEndpoints = new SliceEndpoints(target);
        SharedIndexInformer<EndpointSlice> first = newInformer();
        this.informer = first;
        this.service = readService
                ? new ServiceWatch(client, namespace, target.service(), target.toString(), () -> rebuild(informer)) : null;
        try {
            start(first);
        } catch (RuntimeException e) {
            first.stop();
            if (service != null) {
                service.close(); // its informer started already
            }
            throw e;
        }
        scheduleFreshnessCheck();
    }

    /** An informer whose events rebuild the set while it is the current one. */
    private SharedIndexInformer<EndpointSlice> newInformer() {
        SharedIndexInformer<EndpointSlice> created = informers.apply(slices());
        created.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(EndpointSlice slice) {
                rebuild(created);
            }

            @Override
            public void onUpdate(EndpointSlice before, EndpointSlice after) {
                rebuild(created);
            }

            @Override
            public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
                rebuild(created);
            }
        });
        created.exceptionHandler((isStarted, error) -> {
            if (created == informer) {
                watchFailed(error);
            }
            return true;
        });
        return created;
    }

    private void start(SharedIndexInformer<EndpointSlice> started) {
        started.start().whenComplete((unused, error) -> {
            if (error != null) {
                if (started == informer) {
                    watchFailed(error);
                }
            } else {
                rebuild(started);
            }
        });
    }

    private FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>> slices() {
        return client.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_NAME_LABEL, target.service());
    }

    /**
     * A watch can die without the client noticing (seen with the JDK HTTP transport when the API
     * server's connection drops): the informer then waits forever while the set goes stale. So
     * every {@code freshnessCheck} the slices are listed (from the API server's cache) and compared
     * with the informer's; when the informer has stayed behind for a whole interval
     * ({@link WatchFreshness}), a new informer lists and watches from scratch. The check blocks on
     * the API server, so it runs on its own thread, never the shared scheduler's.
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
            if (!current.hasSynced()) {
                freshness.reset();
                return;
            }
            Map<String, String> listed = versions(slices().list(new ListOptionsBuilder().withResourceVersion("0").build())
                    .getItems());
            if (!freshness.isStale(listed, versions(current.getStore().list()))) {
                if (freshness.hasDifference()) {
                    log.debug("{}: the watch is behind the API server's list; an event may be on its way", target);
                }
                return;
            }
            log.warn("{}: the watch missed changes for {} (its connection died unnoticed); listing and watching again",
                    target, freshnessCheck);
            SharedIndexInformer<EndpointSlice> replacement = newInformer();
            synchronized (lock) {
                if (closed) {
                    return;
                }
                informer = replacement;
            }
            // The old watch ends first: a close() coming now stops the replacement, whose start then fails.
            current.stop();
            start(replacement);
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
        if (service != null) {
            service.close();
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

    /**
     * Rebuilds the set from {@code source}'s store, if it is still the current informer (a replaced
     * one's events are no news). Events that come within {@link #BATCH} of the last rebuild are read
     * together at the end of it: a rolling restart of a large service sends an event per slice write,
     * and each rebuild reads every endpoint of the service.
     */
    private void rebuild(SharedIndexInformer<EndpointSlice> source) {
        rebuilds.execute(() -> {
            if (isClosed() || source != informer || !source.hasSynced()) {
                return;
            }
            long wait = lastRebuildNanos == Long.MIN_VALUE ? 0 : lastRebuildNanos + BATCH.toNanos() - scheduler.nanoTime();
            if (wait <= 0) {
                rebuildNow();
            } else if (!rebuildPlanned) {
                rebuildPlanned = true;
                // The timer only hands the rebuild over; it runs on a podlb update thread, in this resolver's order.
                scheduler.schedule(Duration.ofNanos(wait), () -> Executors.stateUpdates().execute(
                        () -> rebuilds.execute(() -> {
                            rebuildPlanned = false;
                            rebuildNow();
                        })));
            }
        });
    }

    /** On {@link #rebuilds} only: reads the current informer's store; a slice podlb cannot read never stops later updates. */
    private void rebuildNow() {
        SharedIndexInformer<EndpointSlice> source = informer;
        if (isClosed() || !source.hasSynced()) {
            return;
        }
        lastRebuildNanos = scheduler.nanoTime();
        try {
            rebuildFrom(source.getStore().list());
        } catch (RuntimeException e) {
            log.error("{}: reading the EndpointSlices failed; the last good set serves", target, e);
            publishError(new KubernetesDiscoveryException(target + ": reading the EndpointSlices failed: " + e, false, e));
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** On {@link #rebuilds} only; publishes with no lock held. */
    private void rebuildFrom(List<EndpointSlice> slices) {
        synchronized (lock) {
            if (failing) {
                failing = false;
                log.info("{}: watching EndpointSlices again", target);
            }
        }
        if (slices.isEmpty() && current() == null) {
            publishError(new KubernetesDiscoveryException(target + ": service " + target.service() + " in namespace "
                    + namespace + " has no EndpointSlice; expected an existing Service with a selector (is the name"
                    + " or the namespace wrong?)", true));
            return;
        }
        SliceEndpoints.Read read = sliceEndpoints.read(slices);
        String skippedText = String.join("; ", read.skipped);
        if (!skippedText.equals(lastSkipped)) {
            lastSkipped = skippedText;
            if (!read.skipped.isEmpty()) {
                log.warn("{}: left out: {}", target, skippedText);
            }
        }
        publish(EndpointSet.of(0, read.endpoints).withTrafficDistribution(service == null ? null
                : service.trafficDistribution()));
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
