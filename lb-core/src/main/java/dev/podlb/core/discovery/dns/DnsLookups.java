package dev.podlb.core.discovery.dns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.podlb.core.internal.Executors;
import dev.podlb.core.internal.Futures;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;

/**
 * Asks DNS, through one dnsjava {@link LookupSession} and one cache of answers shared by every
 * resolver of a {@link dev.podlb.core.discovery.Discovery}: two targets naming the same host
 * share its answer until the records' TTL runs out.
 */
final class DnsLookups implements AutoCloseable {
    private final DnsSettings settings;
    private final ExecutorService executor;
    private final LookupSession session;
    private final AsyncCache<Question, Answer> cache;

    DnsLookups(DnsSettings settings) {
        this.settings = settings;
        // Answers are handled in microseconds; after the last resolver closes, the thread ends.
        this.executor = Executors.singleIdleThread("dns");
        List<Name> search = new ArrayList<>();
        for (String domain : settings.searchDomains()) {
            search.add(absolute(domain));
        }
        this.session = LookupSession.builder()
                .resolver(resolver(settings))
                .executor(executor)
                .searchPath(search)
                .ndots(settings.ndots())
                .clearCaches()
                .build();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .expireAfter(new TtlExpiry())
                .ticker(settings.scheduler()::nanoTime)
                .executor(Runnable::run)
                .buildAsync();
    }

    private static Resolver resolver(DnsSettings settings) {
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress server : settings.servers()) {
            SimpleResolver one = new SimpleResolver(server);
            one.setTimeout(settings.queryTimeout());
            resolvers.add(one);
        }
        if (resolvers.size() == 1) {
            return resolvers.get(0);
        }
        ExtendedResolver all = new ExtendedResolver(resolvers);
        all.setTimeout(settings.queryTimeout());
        return all;
    }

    DnsSettings settings() {
        return settings;
    }

    /**
     * The records of {@code type} for {@code name}, expanded through the search domains unless it
     * is absolute. A name that does not exist, or has no such records, gives an empty answer;
     * anything else that goes wrong fails the future.
     */
    CompletableFuture<Answer> lookup(String name, int type) {
        return cache.get(new Question(name, type), (question, unused) -> query(question))
                .thenCompose(answer -> answer.failure == null ? CompletableFuture.completedFuture(answer)
                        : CompletableFuture.failedFuture(answer.failure));
    }

    private CompletableFuture<Answer> query(Question question) {
        Name name;
        try {
            name = Name.fromString(question.name());
        } catch (TextParseException e) {
            return CompletableFuture.failedFuture(e);
        }
        return session.lookupAsync(name, question.type()).toCompletableFuture()
                .handle((result, error) -> {
                    if (error == null) {
                        return Answer.of(result.getRecords(), settings.scheduler().nanoTime(), settings.maxRefresh());
                    }
                    Throwable cause = Futures.unwrap(error);
                    if (cause instanceof NoSuchDomainException) {
                        return Answer.NO_SUCH_NAME;
                    }
                    if (cause instanceof NoSuchRRSetException) {
                        return Answer.NO_RECORDS;
                    }
                    // A failure is an answer the cache does not keep, rather than a failed future,
                    // which Caffeine would log at every attempt: the resolver logs once per outage.
                    return Answer.failed(cause);
                });
    }

    private static Name absolute(String domain) {
        try {
            return Name.fromString(domain, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("DNS search domain \"" + domain + "\" is not a valid name: " + e.getMessage(), e);
        }
    }

    /** Stops the callback thread; resolvers using these lookups must be closed first. */
    @Override
    public void close() {
        executor.shutdown();
        cache.synchronous().invalidateAll();
    }

    private record Question(String name, int type) {}

    /**
     * The records of one answer, the shortest TTL among them and when it was received (so that a
     * resolver reading it from the cache later knows how long it has left); empty when there were none.
     */
    static final class Answer {
        static final Answer NO_SUCH_NAME = new Answer(List.of(), 0, 0, true, null);
        static final Answer NO_RECORDS = new Answer(List.of(), 0, 0, false, null);

        final List<Record> records;
        /** How long the answer is used: its shortest TTL, but no longer than the maximum refresh. */
        final long lifetimeNanos;
        final long receivedNanos;
        final boolean noSuchName;
        /** Why the query failed, or {@code null} when DNS answered. */
        final Throwable failure;

        private Answer(List<Record> records, long lifetimeNanos, long receivedNanos, boolean noSuchName, Throwable failure) {
            this.records = records;
            this.lifetimeNanos = lifetimeNanos;
            this.receivedNanos = receivedNanos;
            this.noSuchName = noSuchName;
            this.failure = failure;
        }

        static Answer failed(Throwable failure) {
            return new Answer(List.of(), 0, 0, false, failure);
        }

        static Answer of(List<Record> records, long receivedNanos, Duration maxLifetime) {
            if (records.isEmpty()) {
                return NO_RECORDS;
            }
            long ttl = Long.MAX_VALUE;
            for (Record record : records) {
                ttl = Math.min(ttl, record.getTTL());
            }
            long lifetime = Math.min(Duration.ofSeconds(ttl).toNanos(), maxLifetime.toNanos());
            return new Answer(List.copyOf(records), lifetime, receivedNanos, false, null);
        }

        /** Nanoseconds until this answer expires; 0 for an empty one. */
        long remainingNanos(long nowNanos) {
            return records.isEmpty() ? 0 : Math.max(0, receivedNanos + lifetimeNanos - nowNanos);
        }
    }

    /** A positive answer lives as long as its TTL; an empty or failed one is not kept. */
    private static final class TtlExpiry implements Expiry<Question, Answer> {
        @Override
        public long expireAfterCreate(Question key, Answer answer, long currentTime) {
            return answer.lifetimeNanos;
        }

        @Override
        public long expireAfterUpdate(Question key, Answer answer, long currentTime, long currentDuration) {
            return expireAfterCreate(key, answer, currentTime);
        }

        @Override
        public long expireAfterRead(Question key, Answer answer, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
