package dev.podlb.core.discovery.dns;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.internal.Futures;
import dev.podlb.core.time.Scheduler;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

/**
 * Resolves a headless Service's DNS records into endpoints, and again whenever they may have
 * changed: at the answer's TTL (a negative answer's SOA minimum), clamped to the configured bounds
 * and jittered so that a fleet of clients does not query in step.
 *
 * <p>NXDOMAIN and empty answers are how Kubernetes says a Service has no ready pod: answers, not
 * failures. Before the first set they are reported as a definite error naming the name asked;
 * after it, the set empties, and the name is asked again at the answer's negative TTL, so that
 * pods coming back are seen as soon as DNS may show them.
 *
 * <p>When DNS fails (no answer, SERVFAIL, REFUSED, garbage), the last good set keeps serving,
 * for as long as DNS fails unless a maximum staleness is set, while queries are retried with
 * exponential backoff up to max(TTL, 5 s): once DNS answers again the set follows within that.
 * A failure is logged when it starts and when it ends, not at every attempt.
 *
 * <p>A and AAAA are read at one name, the first of the search list that exists, and a family that
 * fails does not fail the other: the set is the records found, with a warning naming what failed,
 * and the next refresh asks both again. So does an SRV target whose address lookup fails: it is left
 * out of that refresh. Only when nothing was found and something failed is the refresh a failure.
 *
 * <p>Threads: a refresh starts on the scheduler's thread; its answers are handled, and subscribers
 * called, on the discovery's {@code podlb-dns} thread, or on the scheduler's when every answer was
 * cached. One resolver's refreshes never overlap: the next is planned when one ends.
 */
public final class DnsResolver extends PublishingResolver {
    private static final Logger log = LoggerFactory.getLogger(DnsResolver.class);

    private static final long MAX_JITTER_NANOS = Duration.ofMillis(500).toNanos();
    /** Retries after failures come at least this often, unless the last answer's TTL is longer. */
    private static final long RETRY_CEILING_NANOS = Duration.ofSeconds(5).toNanos();

    private enum Health { STARTING, GOOD, NO_RECORDS, FAILING, DROPPED }

    private final DnsTarget target;
    private final DnsLookups lookups;
    private final DnsSettings settings;
    private final Scheduler scheduler;
    private final Object lock = new Object();
    private Health health = Health.STARTING;
    private long lastAnswerNanos;
    /** How long the last answer was used for (its TTL, clamped); 0 before any answer. */
    private long lastRefreshNanos;
    private int failuresInARow;
    /** Read and written by one refresh at a time only (see the class comment). */
    private String lastMissingSrvTargets = "";
    /** What the last answered refresh left out because its lookup failed; as the field above. */
    private String lastFailedParts = "";
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
                    noRecords(result);
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
        long refreshNanos = clamp(result.remainingNanos);
        Health was;
        synchronized (lock) {
            was = health;
            health = Health.GOOD;
            failuresInARow = 0;
            lastAnswerNanos = scheduler.nanoTime();
            lastRefreshNanos = refreshNanos;
        }
        if (was == Health.NO_RECORDS) {
            log.info("{}: {} has records again ({} endpoints)", target, target.name(), result.endpoints.size());
        } else if (was != Health.GOOD && was != Health.STARTING) {
            log.info("{}: DNS answers again ({} endpoints)", target, result.endpoints.size());
        }
        if (!result.missingSrvTargets.equals(lastMissingSrvTargets)) {
            lastMissingSrvTargets = result.missingSrvTargets;
            if (!result.missingSrvTargets.isEmpty()) {
                log.warn("{}: SRV records point at names with no address, left out: {}", target, result.missingSrvTargets);
            }
        }
        String failedParts = String.join("; ", result.failedParts);
        if (!failedParts.equals(lastFailedParts)) {
            if (!failedParts.isEmpty()) {
                log.warn("{}: {}; publishing the {} endpoints found, and asking again at the next refresh",
                        target, failedParts, result.endpoints.size());
            } else {
                log.info("{}: every lookup answers again ({} endpoints)", target, result.endpoints.size());
            }
            lastFailedParts = failedParts;
        }
        // Scheduled before publishing, so that whoever sees the set also finds the next refresh planned.
        scheduleNext(jitter(refreshNanos));
        // Published whether or not the set changed: an unchanged set after a failure clears the failure.
        publish(EndpointSet.of(0, result.endpoints));
    }

    private void noRecords(Resolution result) {
        String what = target.isSrv() ? "SRV" : addressTypes();
        DnsResolutionException error = new DnsResolutionException(target + ": " + target.name() + " has no " + what
                + " records (" + (result.noSuchName ? "NXDOMAIN" : "empty answer") + "); a headless Service answers so"
                + " when it has no ready pod, or when the name is wrong: expected <service>.<namespace>.svc.<cluster-domain>",
                true, true, null);
        long refreshNanos = clamp(result.remainingNanos);
        Health was;
        synchronized (lock) {
            was = health;
            health = Health.NO_RECORDS;
            failuresInARow = 0;
            lastAnswerNanos = scheduler.nanoTime();
            lastRefreshNanos = refreshNanos;
        }
        if (was != Health.NO_RECORDS) {
            log.warn("{}; asking again in {}", error.getMessage(), Duration.ofNanos(refreshNanos));
        }
        scheduleNext(jitter(refreshNanos));
        EndpointSet known = current();
        if (known != null && !known.isEmpty()) {
            // Once resolved, no records means no pods: calls fail with a clear error until they return.
            publish(EndpointSet.empty());
        }
        publishError(error);
    }

    private void failed(Throwable cause) {
        boolean definite = cause instanceof DnsQueryException && ((DnsQueryException) cause).isDefinite();
        String reason = cause instanceof DnsQueryException ? cause.getMessage() : cause.toString();
        DnsResolutionException error = new DnsResolutionException(target + ": asking " + settings.servers() + " for "
                + target.name() + " failed: " + reason, false, definite, cause);
        Health was;
        boolean drop;
        synchronized (lock) {
            was = health;
            failuresInARow++;
            drop = was != Health.DROPPED && settings.maxStaleness().isPresent() && current() != null
                    && !current().isEmpty()
                    && scheduler.nanoTime() - lastAnswerNanos > settings.maxStaleness().get().toNanos();
            health = drop || was == Health.DROPPED ? Health.DROPPED : was == Health.STARTING ? was : Health.FAILING;
        }
        if (was == Health.GOOD) {
            log.warn("{}; serving the last good set{} while retrying", error.getMessage(),
                    settings.maxStaleness().map(limit -> " for up to " + limit).orElse(""));
        } else if (was == Health.NO_RECORDS || (was == Health.STARTING && failuresInARow == 1)) {
            log.warn("{}; retrying", error.getMessage());
        }
        scheduleNext(backoff());
        if (drop) {
            log.warn("{}: DNS has failed for longer than {}; dropping the last good set", target,
                    settings.maxStaleness().get());
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
     * plus half a second.
     */
    private static long jitter(long nanos) {
        long spread = Math.min(nanos / 10, MAX_JITTER_NANOS);
        return nanos + (spread > 0 ? ThreadLocalRandom.current().nextLong(spread + 1) : 0);
    }

    /**
     * The minimum refresh doubled per failure in a row, with half of it random, up to the longer of
     * the last answer's refresh and 5 s (within the refresh bounds): an outage's backoff never
     * delays the recovery by more than that.
     */
    private long backoff() {
        int doublings;
        long ceiling;
        synchronized (lock) {
            // Past 20 doublings the ceiling has long been reached; the cap keeps the shift in range.
            doublings = Math.max(0, Math.min(failuresInARow - 1, 20));
            ceiling = Math.max(settings.minRefresh().toNanos(),
                    Math.min(settings.maxRefresh().toNanos(), Math.max(lastRefreshNanos, RETRY_CEILING_NANOS)));
        }
        long base = Math.min(ceiling, settings.minRefresh().toNanos() << doublings);
        return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }

    private CompletableFuture<Resolution> resolveSrv() {
        return lookups.lookup(target.name(), Type.SRV).thenCompose(answer -> {
            long now = scheduler.nanoTime();
            if (answer.isNegative()) {
                return CompletableFuture.completedFuture(Resolution.none(answer.isNoSuchName(), answer.remainingNanos(now)));
            }
            Map<String, SRVRecord> byTargetAndPort = new LinkedHashMap<>();
            for (Record record : answer.records()) {
                SRVRecord srv = (SRVRecord) record;
                byTargetAndPort.putIfAbsent(srv.getTarget() + ":" + srv.getPort(), srv);
            }
            List<SRVRecord> records = new ArrayList<>(byTargetAndPort.values());
            List<CompletableFuture<Resolution>> parts = new ArrayList<>();
            for (SRVRecord srv : records) {
                List<Record> given = wanted(answer.additionalFor(srv.getTarget()));
                // CoreDNS sends the targets' addresses along: asking for them again would cost 2 queries a pod.
                CompletableFuture<Resolution> part = given.isEmpty()
                        ? resolveAddresses(srv.getTarget().toString(), srv.getPort(), podName(srv), srv.getWeight())
                        : CompletableFuture.completedFuture(new Resolution(
                                endpoints(given, srv.getPort(), podName(srv), srv.getWeight()), Long.MAX_VALUE, false,
                                "", List.of()));
                // One target's failed lookup leaves that target out, not the answer.
                parts.add(part.exceptionally(error -> Resolution.failed("the address lookup of SRV target " + srv.getTarget()
                        + " failed (" + reason(Futures.unwrap(error)) + ")",
                        Futures.unwrap(error))));
            }
            long remaining = answer.remainingNanos(now);
            return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(unused -> {
                List<Endpoint> endpoints = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                List<String> failedParts = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                long soonest = remaining;
                for (int i = 0; i < parts.size(); i++) {
                    Resolution part = parts.get(i).join();
                    failedParts.addAll(part.failedParts);
                    if (part.failure != null) {
                        failures.add(part.failure);
                    } else if (part.endpoints.isEmpty()) {
                        missing.add(records.get(i).getTarget().toString());
                    } else {
                        endpoints.addAll(part.endpoints);
                        soonest = Math.min(soonest, part.remainingNanos);
                    }
                }
                if (endpoints.isEmpty() && !failures.isEmpty()) {
                    // With no address found, a failed lookup may be hiding them all: the last good set serves.
                    throw new CompletionException(failure(String.join("; ", failedParts), failures));
                }
                return new Resolution(endpoints, soonest, false, String.join(", ", missing), failedParts);
            });
        });
    }

    /** The records of the families asked for. */
    private List<Record> wanted(List<Record> addresses) {
        List<Record> wanted = new ArrayList<>();
        for (Record record : addresses) {
            if (record.getType() == Type.A ? settings.ipFamily().wantsV4() : settings.ipFamily().wantsV6()) {
                wanted.add(record);
            }
        }
        return wanted;
    }

    /** The first label of an SRV target: Kubernetes names it after the pod's hostname. */
    private static String podName(SRVRecord srv) {
        return srv.getTarget().labels() > 1 ? srv.getTarget().getLabelString(0) : null;
    }

    /**
     * The A and AAAA records of {@code host}, both read at the one name of the search list that
     * exists. A family that fails (no answer, SERVFAIL, REFUSED) does not fail the other: its
     * records are published, and the failure named in the resolution. With no records found, a
     * failed family fails the resolution (it may be the one with the records), unless the name
     * does not exist.
     */
    private CompletableFuture<Resolution> resolveAddresses(String host, int port, String podName, int weight) {
        IpFamily family = settings.ipFamily();
        int[] types = family == IpFamily.BOTH ? new int[] {Type.A, Type.AAAA}
                : new int[] {family.wantsV4() ? Type.A : Type.AAAA};
        return lookups.lookupAtOneName(host, types).thenApply(answers -> {
            long now = scheduler.nanoTime();
            List<Record> records = new ArrayList<>();
            List<String> failedFamilies = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            long remaining = Long.MAX_VALUE;
            boolean noSuchName = false;
            Set<String> reasons = new LinkedHashSet<>();
            List<String> reasonsByFamily = new ArrayList<>();
            for (int i = 0; i < types.length; i++) {
                DnsAnswer answer = answers.get(i);
                if (answer.failure() != null) {
                    failedFamilies.add("the " + Type.string(types[i]) + " lookup of " + host + " failed ("
                            + answer.failure().getMessage() + ")");
                    failures.add(answer.failure());
                    reasons.add(answer.failure().getMessage());
                    reasonsByFamily.add(Type.string(types[i]) + ": " + answer.failure().getMessage());
                    continue;
                }
                records.addAll(answer.records());
                // A negative answer counts too: the family it lacked may have records when it expires.
                remaining = Math.min(remaining, answer.remainingNanos(now));
                noSuchName |= answer.isNoSuchName();
            }
            List<Endpoint> endpoints = endpoints(records, port, podName, weight);
            if (!endpoints.isEmpty()) {
                return new Resolution(endpoints, remaining, false, "", failedFamilies);
            }
            if (!failures.isEmpty() && !noSuchName) {
                // A server failing every question alike is named once; else each family's reason.
                throw new CompletionException(failure(reasons.size() == 1 ? reasons.iterator().next()
                        : String.join("; ", reasonsByFamily), failures));
            }
            return Resolution.none(noSuchName, remaining);
        });
    }

    /** One failure standing for {@code failures}: definite only when each of them is. */
    private static DnsQueryException failure(String reason, List<Throwable> failures) {
        boolean definite = true;
        for (Throwable failure : failures) {
            definite &= failure instanceof DnsQueryException && ((DnsQueryException) failure).isDefinite();
        }
        return new DnsQueryException(reason, definite, failures.get(0));
    }

    private static String reason(Throwable cause) {
        return cause instanceof DnsQueryException ? cause.getMessage() : cause.toString();
    }

    private static List<Endpoint> endpoints(List<Record> records, int port, String podName, int weight) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (Record record : records) {
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
        return endpoints;
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

    @Override
    public String toString() {
        synchronized (lock) {
            return "DnsResolver{" + target + ", " + health + ", " + current() + "}";
        }
    }

    /**
     * The endpoints of one round of queries, and how long until the soonest of the answers they
     * came from expires (a negative answer's, when there are none); what failed and was left out
     * (a family, an SRV target); or, for an SRV target, the failure that left it out.
     */
    private static final class Resolution {
        final List<Endpoint> endpoints;
        final long remainingNanos;
        final boolean noSuchName;
        final String missingSrvTargets;
        final List<String> failedParts;
        final Throwable failure;

        Resolution(List<Endpoint> endpoints, long remainingNanos, boolean noSuchName, String missingSrvTargets,
                   List<String> failedParts) {
            this(endpoints, remainingNanos, noSuchName, missingSrvTargets, failedParts, null);
        }

        private Resolution(List<Endpoint> endpoints, long remainingNanos, boolean noSuchName, String missingSrvTargets,
                           List<String> failedParts, Throwable failure) {
            this.endpoints = endpoints;
            this.remainingNanos = remainingNanos;
            this.noSuchName = noSuchName;
            this.missingSrvTargets = missingSrvTargets;
            this.failedParts = failedParts;
            this.failure = failure;
        }

        static Resolution none(boolean noSuchName, long remainingNanos) {
            return new Resolution(List.of(), remainingNanos, noSuchName, "", List.of());
        }

        static Resolution failed(String what, Throwable failure) {
            return new Resolution(List.of(), Long.MAX_VALUE, false, "", List.of(what), failure);
        }
    }
}
