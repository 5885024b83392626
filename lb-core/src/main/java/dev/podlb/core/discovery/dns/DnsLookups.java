package dev.podlb.core.discovery.dns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.podlb.core.internal.Executors;
import dev.podlb.core.internal.Futures;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.WireParseException;

/**
 * Asks DNS, with dnsjava's resolvers (UDP, and TCP when an answer comes back truncated), and keeps
 * every answer in one cache shared by every resolver of a {@link DnsDiscovery}: two targets naming
 * the same host share its answer, positive or negative, until its TTL runs out.
 *
 * <p>Every future this returns completes on its own {@code podlb-dns} thread, or at once on the
 * caller's thread when the cache holds the answer; never on dnsjava's selector thread, which would
 * stall every other query of the JVM while a subscriber works.
 */
final class DnsLookups implements AutoCloseable {
    private final DnsSettings settings;
    private final ExecutorService executor;
    private final Executor answers;
    private final Resolver resolver;
    private final SearchList searchList;
    private final AsyncCache<Question, DnsAnswer> cache;

    DnsLookups(DnsSettings settings) {
        this.settings = settings;
        // Answers are handled in microseconds; after the last resolver closes, the thread ends.
        this.executor = Executors.singleIdleThread("dns");
        this.answers = task -> {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException closed) {
                // An answer arriving after close has nobody left to hear it.
            }
        };
        this.resolver = resolver(settings);
        this.searchList = new SearchList(settings.searchDomains(), settings.ndots());
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
     * The records of {@code type} for {@code host}, as {@link #lookupAtOneName} finds them; a failure
     * to get an answer (no answer in time, SERVFAIL, REFUSED, garbage) fails the future with a
     * {@link DnsQueryException}.
     */
    CompletableFuture<DnsAnswer> lookup(String host, int type) {
        return lookupAtOneName(host, type).thenCompose(answers -> answers.get(0).failure() == null
                ? CompletableFuture.completedFuture(answers.get(0)) : CompletableFuture.failedFuture(answers.get(0).failure()));
    }

    /**
     * The answers to each of {@code types} for {@code host}, in the order asked, all read at one
     * name: the first of the names {@link SearchList} gives that exists, as glibc's getaddrinfo and
     * dnsjava's LookupSession read A and AAAA. A name exists when any question about it got an
     * answer (records or none of the type asked); NXDOMAIN moves on to the next name. A question
     * that got no answer there (no answer in time, SERVFAIL, REFUSED, garbage) is an answer whose
     * {@link DnsAnswer#failure()} says why; when no question about a name got an answer, the search
     * ends there too, failed: the next name may be another Service's.
     *
     * <p>The future fails only when {@code host} is not a valid name.
     */
    CompletableFuture<List<DnsAnswer>> lookupAtOneName(String host, int... types) {
        List<Name> names;
        try {
            names = searchList.candidates(host);
        } catch (TextParseException e) {
            return CompletableFuture.failedFuture(new DnsQueryException("\"" + host + "\" is not a valid name: "
                    + e.getMessage(), true, e));
        }
        return firstThatExists(names, 0, types);
    }

    private CompletableFuture<List<DnsAnswer>> firstThatExists(List<Name> names, int index, int[] types) {
        List<CompletableFuture<DnsAnswer>> asked = new ArrayList<>(types.length);
        for (int type : types) {
            asked.add(ask(names.get(index), type, 0).exceptionally(error -> DnsAnswer.failed(
                    failure(Futures.unwrap(error)))));
        }
        return CompletableFuture.allOf(asked.toArray(new CompletableFuture<?>[0])).thenCompose(unused -> {
            List<DnsAnswer> answers = new ArrayList<>(asked.size());
            for (CompletableFuture<DnsAnswer> one : asked) {
                answers.add(one.join());
            }
            if (isAbsent(answers) && index + 1 < names.size()) {
                return firstThatExists(names, index + 1, types);
            }
            return CompletableFuture.completedFuture(index == 0 ? answers : namingTheSearch(answers, names, index));
        });
    }

    /**
     * The failures among {@code answers}, got at a later name of the search list, say which name
     * failed and that the ones before it do not exist: a refusal of the bare name, asked last, then
     * reads as what it is rather than as a refusal of the Service's name.
     */
    private static List<DnsAnswer> namingTheSearch(List<DnsAnswer> answers, List<Name> names, int index) {
        List<DnsAnswer> named = new ArrayList<>(answers.size());
        for (DnsAnswer answer : answers) {
            DnsQueryException failure = answer.failure();
            named.add(failure == null ? answer : DnsAnswer.failed(new DnsQueryException(failure.getMessage() + " for "
                    + names.get(index) + " (NXDOMAIN for " + names.subList(0, index).stream().map(Name::toString)
                    .collect(Collectors.joining(", ")) + ")", failure.isDefinite(), failure)));
        }
        return named;
    }

    /** Some question got NXDOMAIN and none an answer of NOERROR: the name does not exist. */
    private static boolean isAbsent(List<DnsAnswer> answers) {
        boolean noSuchName = false;
        for (DnsAnswer answer : answers) {
            if (answer.failure() == null && !answer.isNoSuchName()) {
                return false;
            }
            noSuchName |= answer.isNoSuchName();
        }
        return noSuchName;
    }

    /** One name, from the cache or the server, with the CNAME it points at followed when its answer stops there. */
    private CompletableFuture<DnsAnswer> ask(Name name, int type, int aliases) {
        Question question = new Question(name, type);
        CompletableFuture<DnsAnswer> cached = cache.get(question, (q, unused) -> query(q));
        if (cached.isDone() && cached.join().remainingNanos(settings.scheduler().nanoTime()) == 0) {
            // The cache hears of a completed query just after the resolver that asked it: until then it still
            // holds that answer though it may have expired, or be a failure, which it never keeps.
            cache.asMap().remove(question, cached);
            cached = cache.get(question, (q, unused) -> query(q));
        }
        return cached.thenCompose(answer -> {
            if (answer.alias() == null) {
                return CompletableFuture.completedFuture(answer);
            }
            if (aliases == DnsAnswer.MAX_ALIASES) {
                return CompletableFuture.completedFuture(DnsAnswer.failed(new DnsQueryException(name
                        + " is an alias more than " + DnsAnswer.MAX_ALIASES + " CNAMEs deep", true, null)));
            }
            return ask(answer.alias(), type, aliases + 1).thenApply(target -> target.reachedThrough(answer));
        });
    }

    private CompletableFuture<DnsAnswer> query(Question question) {
        Message query = Message.newQuery(Record.newRecord(question.name(), question.type(), DClass.IN));
        CompletableFuture<Message> sent;
        try {
            sent = resolver.sendAsync(query, answers).toCompletableFuture();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        // dnsjava completes failures (timeouts above all) on its selector thread: move off it.
        return sent.handleAsync((response, error) -> error == null
                ? DnsAnswer.read(question.name(), question.type(), response, settings.scheduler().nanoTime(),
                        settings.maxRefresh())
                : DnsAnswer.failed(failure(Futures.unwrap(error))), answers);
    }

    private DnsQueryException failure(Throwable cause) {
        if (cause instanceof DnsQueryException) {
            return (DnsQueryException) cause;
        }
        if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException) {
            return new DnsQueryException("no answer within " + settings.queryTimeout(), false, cause);
        }
        if (cause instanceof WireParseException) {
            return new DnsQueryException("the answer is malformed (" + cause.getMessage() + ")", false, cause);
        }
        return new DnsQueryException(cause.toString(), false, cause);
    }

    /** Stops the answer thread; resolvers using these lookups must be closed first. */
    @Override
    public void close() {
        executor.shutdown();
        cache.synchronous().invalidateAll();
    }

    @Override
    public String toString() {
        return "DnsLookups{" + settings.servers() + ", " + searchList + "}";
    }

    private record Question(Name name, int type) {}

    /**
     * An answer lives as long as its TTL (a negative one, its SOA minimum) from when it came; a
     * failure is not kept. Counted from its arrival, not from when the cache learns of it: the
     * cache hears of a completed query after the resolver that asked it, by which time a test's
     * clock may have moved on.
     */
    private static final class TtlExpiry implements Expiry<Question, DnsAnswer> {
        @Override
        public long expireAfterCreate(Question key, DnsAnswer answer, long currentTime) {
            return answer.remainingNanos(currentTime);
        }

        @Override
        public long expireAfterUpdate(Question key, DnsAnswer answer, long currentTime, long currentDuration) {
            return expireAfterCreate(key, answer, currentTime);
        }

        @Override
        public long expireAfterRead(Question key, DnsAnswer answer, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
