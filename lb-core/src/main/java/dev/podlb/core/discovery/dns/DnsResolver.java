package dev.podlb.core.discovery.dns;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.internal.Futures;
import dev.podlb.core.time.Scheduler;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;
import org.xbill.DNS.lookup.ServerFailedException;

/**
 * Resolves a headless Service's DNS records into endpoints, and again whenever they may have
 * changed: at the records' TTL, clamped to the configured bounds and jittered so that a fleet of
 * clients does not query in step.
 *
 * <p>When DNS fails (no answer, SERVFAIL, garbage), the last good set keeps serving for the
 * configured maximum staleness while queries are retried with exponential backoff; a failure is
 * logged when it starts and when it ends, not at every attempt. A name that does not exist, or has
 * no records, is how Kubernetes says a Service has no ready pod: before the first good set it is
 * reported as an error naming the name asked; after it, the set empties until pods return.
 */
public final class DnsResolver extends PublishingResolver {
    private static final Logger log = LoggerFactory.getLogger(DnsResolver.class);

    private static final long MAX_JITTER_NANOS = Duration.ofMillis(500).toNanos();

    private enum Health { STARTING, GOOD, FAILING, NO_SUCH_NAME, STALE }

    private final DnsTarget target;
    private final DnsLookups lookups;
    private final DnsSettings settings;
    private final Scheduler scheduler;
    private final Object lock = new Object();
    private Health health = Health.STARTING;
    private long lastGoodNanos;
    private int failuresInARow;
    private String lastMissingSrvTargets = "";
    private Scheduler.Cancellable next;
    private boolean closed;

    DnsResolver(DnsTarget target, DnsLookups lookups) {
        this.target = target;
        this.lookups = lookups;
        this.settings = lookups.settings();
        this.scheduler = settings.scheduler();
        refresh();
    }

    @Override
    public String describe() {
        return target.toString();
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (next != null) {
                next.cancel();
            }
        }
    }

    private void refresh() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        CompletableFuture<Resolution> resolution;
        try {
            resolution = target.isSrv() ? resolveSrv() : resolveAddresses(target.name(), target.port(), null, -1);
        } catch (RuntimeException e) {
            resolution = CompletableFuture.failedFuture(e);
        }
        resolution.whenComplete((result, error) -> {
            try {
                if (error != null) {
                    failed(Futures.unwrap(error));
                } else if (result.endpoints.isEmpty()) {
                    noSuchName(result);
                } else {
                    resolved(result);
                }
            } catch (RuntimeException e) {
                log.error("{}: handling a DNS answer failed; retrying", target, e);
                scheduleNext(settings.minRefresh().toNanos());
            }
        });
    }

    private void resolved(Resolution result) {
        Health was;
        synchronized (lock) {
            was = health;
            health = Health.GOOD;
            failuresInARow = 0;
            lastGoodNanos = scheduler.nanoTime();
        }
        if (was != Health.GOOD && was != Health.STARTING) {
            log.info("{}: DNS answers again ({} endpoints)", target, result.endpoints.size());
        }
        if (!result.missingSrvTargets.equals(lastMissingSrvTargets)) {
            lastMissingSrvTargets = result.missingSrvTargets;
            if (!result.missingSrvTargets.isEmpty()) {
                log.warn("{}: SRV records point at names with no address, left out: {}", target, result.missingSrvTargets);
            }
        }
        // Scheduled before publishing, so that whoever sees the set also finds the next refresh planned.
        scheduleNext(jitter(clamp(result.remainingNanos)));
        publish(EndpointSet.of(0, result.endpoints));
    }

    private void noSuchName(Resolution result) {
        String what = target.isSrv() ? "SRV" : addressTypes();
        DnsResolutionException error = new DnsResolutionException(target + ": " + target.name() + " has no " + what
                + " records (" + (result.noSuchName ? "NXDOMAIN" : "empty answer") + "); a headless Service answers so"
                + " when it has no ready pod, or when the name is wrong: expected <service>.<namespace>.svc.<cluster-domain>",
                true, null);
        Health was;
        synchronized (lock) {
            was = health;
            health = Health.NO_SUCH_NAME;
            failuresInARow++;
        }
        if (was != Health.NO_SUCH_NAME) {
            log.warn("{}", error.getMessage());
        }
        scheduleNext(backoff());
        if (current() != null) {
            // Once resolved, no records means no pods: calls fail with a clear error until they return.
            publish(EndpointSet.empty());
        }
        publishError(error);
    }

    private void failed(Throwable cause) {
        DnsResolutionException error = new DnsResolutionException(target + ": asking " + settings.servers() + " for "
                + target.name() + " failed: " + explain(cause), false, cause);
        Health was;
        boolean tooStale;
        synchronized (lock) {
            was = health;
            failuresInARow++;
            tooStale = (was == Health.GOOD || was == Health.FAILING)
                    && scheduler.nanoTime() - lastGoodNanos > settings.maxStaleness().toNanos();
            health = tooStale || was == Health.STALE ? Health.STALE : was == Health.GOOD ? Health.FAILING : was;
        }
        if (was == Health.GOOD) {
            log.warn("{}; serving the last good set for up to {} while retrying", error.getMessage(), settings.maxStaleness());
        } else if (was == Health.STARTING && failuresInARow == 1) {
            log.warn("{}; retrying", error.getMessage());
        }
        scheduleNext(backoff());
        if (tooStale) {
            log.warn("{}: DNS has failed for longer than {}; dropping the last good set", target, settings.maxStaleness());
            publish(EndpointSet.empty());
        }
        publishError(error);
    }

    private void scheduleNext(long delayNanos) {
        synchronized (lock) {
            if (!closed) {
                next = scheduler.schedule(Duration.ofNanos(delayNanos), this::refresh);
            }
        }
    }

    private long clamp(long nanos) {
        return Math.max(settings.minRefresh().toNanos(), Math.min(settings.maxRefresh().toNanos(), nanos));
    }

    /**
     * Up to 10% later, and at most half a second: a fleet that started together spreads out, the
     * cached answer has expired when the query comes, and a change still arrives within its TTL
     * plus a second.
     */
    private static long jitter(long nanos) {
        long spread = Math.min(nanos / 10, MAX_JITTER_NANOS);
        return nanos + (spread > 0 ? ThreadLocalRandom.current().nextLong(spread + 1) : 0);
    }

    /** The minimum refresh doubled per failure in a row, up to the maximum, with half of it random. */
    private long backoff() {
        int doublings;
        synchronized (lock) {
            // Past 20 doublings the maximum refresh has long been reached; the cap keeps the shift in range.
            doublings = Math.max(0, Math.min(failuresInARow - 1, 20));
        }
        long base = clamp(settings.minRefresh().toNanos() << doublings);
        return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }

    private CompletableFuture<Resolution> resolveSrv() {
        return lookups.lookup(target.name(), Type.SRV).thenCompose(answer -> {
            if (answer.records.isEmpty()) {
                return CompletableFuture.completedFuture(Resolution.none(answer.noSuchName));
            }
            Map<String, SRVRecord> byTargetAndPort = new LinkedHashMap<>();
            for (Record record : answer.records) {
                if (record instanceof SRVRecord) {
                    SRVRecord srv = (SRVRecord) record;
                    byTargetAndPort.putIfAbsent(srv.getTarget() + ":" + srv.getPort(), srv);
                }
            }
            List<SRVRecord> records = new ArrayList<>(byTargetAndPort.values());
            List<CompletableFuture<Resolution>> parts = new ArrayList<>();
            for (SRVRecord srv : records) {
                parts.add(resolveAddresses(srv.getTarget().toString(), srv.getPort(), podName(srv), srv.getWeight()));
            }
            long remaining = answer.remainingNanos(scheduler.nanoTime());
            return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(unused -> {
                List<Endpoint> endpoints = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                long soonest = remaining;
                for (int i = 0; i < parts.size(); i++) {
                    Resolution part = parts.get(i).join();
                    if (part.endpoints.isEmpty()) {
                        missing.add(records.get(i).getTarget().toString());
                    } else {
                        endpoints.addAll(part.endpoints);
                        soonest = Math.min(soonest, part.remainingNanos);
                    }
                }
                return new Resolution(endpoints, soonest, false, String.join(", ", missing));
            });
        });
    }

    /** The first label of an SRV target: Kubernetes names it after the pod's hostname. */
    private static String podName(SRVRecord srv) {
        return srv.getTarget().labels() > 1 ? srv.getTarget().getLabelString(0) : null;
    }

    private CompletableFuture<Resolution> resolveAddresses(String host, int port, String podName, int weight) {
        IpFamily family = settings.ipFamily();
        CompletableFuture<DnsLookups.Answer> v4 = family.wantsV4()
                ? lookups.lookup(host, Type.A) : CompletableFuture.completedFuture(DnsLookups.Answer.NO_RECORDS);
        CompletableFuture<DnsLookups.Answer> v6 = family.wantsV6()
                ? lookups.lookup(host, Type.AAAA) : CompletableFuture.completedFuture(DnsLookups.Answer.NO_RECORDS);
        return v4.thenCombine(v6, (a, aaaa) -> {
            long now = scheduler.nanoTime();
            List<Endpoint> endpoints = new ArrayList<>();
            long remaining = Long.MAX_VALUE;
            for (DnsLookups.Answer answer : List.of(a, aaaa)) {
                for (Record record : answer.records) {
                    InetAddress address = record instanceof ARecord ? ((ARecord) record).getAddress()
                            : record instanceof AAAARecord ? ((AAAARecord) record).getAddress() : null;
                    if (address != null) {
                        Endpoint.Builder endpoint = Endpoint.builder(address, port).podName(podName);
                        if (weight >= 0) {
                            endpoint.weight(weight);
                        }
                        endpoints.add(endpoint.build());
                    }
                }
                if (!answer.records.isEmpty()) {
                    remaining = Math.min(remaining, answer.remainingNanos(now));
                }
            }
            return endpoints.isEmpty() ? Resolution.none(a.noSuchName || aaaa.noSuchName)
                    : new Resolution(endpoints, remaining, false, "");
        });
    }

    private String addressTypes() {
        switch (settings.ipFamily()) {
            case IPV4:
                return "A";
            case IPV6:
                return "AAAA";
            default:
                return "A or AAAA";
        }
    }

    private String explain(Throwable cause) {
        if (cause instanceof ServerFailedException) {
            return "the server answered SERVFAIL";
        }
        if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException) {
            return "no answer within " + settings.queryTimeout();
        }
        if (cause instanceof WireParseException) {
            return "the answer is malformed (" + cause.getMessage() + ")";
        }
        return cause.toString();
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "DnsResolver{" + target + ", " + health + ", " + current() + "}";
        }
    }

    /** The endpoints of one round of queries, and how long until the soonest of their records expires. */
    private static final class Resolution {
        final List<Endpoint> endpoints;
        final long remainingNanos;
        final boolean noSuchName;
        final String missingSrvTargets;

        Resolution(List<Endpoint> endpoints, long remainingNanos, boolean noSuchName, String missingSrvTargets) {
            this.endpoints = endpoints;
            this.remainingNanos = remainingNanos;
            this.noSuchName = noSuchName;
            this.missingSrvTargets = missingSrvTargets;
        }

        static Resolution none(boolean noSuchName) {
            return new Resolution(List.of(), 0, noSuchName, "");
        }
    }
}
