package dev.podlb.core.pick;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Durations;
import dev.podlb.core.internal.Hashing;
import dev.podlb.core.time.Scheduler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Remembers which pod a session key was bound to, so that a session created on a pod (a
 * {@code JSESSIONID} cookie it set) keeps reaching that pod while it is pickable, whatever the
 * hash would say. Bounded in entries, and an entry not used for the idle time is forgotten.
 * Keys are kept as 64-bit hashes, so a huge key costs no more memory than a short one.
 *
 * <pre>{@code
 * AffinityMemory memory = AffinityMemory.builder().maximumSize(100_000).idleExpiry(Duration.ofMinutes(30)).build();
 * LoadBalancer lb = LoadBalancer.builder("backend").picker(Pickers.sticky(memory))...build();
 * memory.bind(sessionId, podThatCreatedTheSession);
 * }</pre>
 */
public final class AffinityMemory {
    private final Cache<Long, InetSocketAddress> bindings;
    private final long maximumSize;
    private final Duration idleExpiry;

    private AffinityMemory(Builder builder) {
        this.maximumSize = builder.maximumSize;
        this.idleExpiry = builder.idleExpiry;
        Scheduler scheduler = builder.scheduler;
        this.bindings = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfterAccess(idleExpiry)
                .ticker(scheduler::nanoTime)
                // Upkeep on the caller's thread: no pool thread of ours, and tests see it at once.
                .executor(Runnable::run)
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds {@code key} to {@code endpoint}, replacing any earlier binding. */
    public void bind(String key, Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        bindings.put(Hashing.ofText(requireKey(key)), endpoint.socketAddress());
    }

    /** The address {@code key} is bound to, or {@code null}. */
    public InetSocketAddress boundTo(String key) {
        return bindings.getIfPresent(Hashing.ofText(requireKey(key)));
    }

    /** Forgets {@code key}'s binding. */
    public void forget(String key) {
        bindings.invalidate(Hashing.ofText(requireKey(key)));
    }

    /** How many keys are bound, after pending evictions. */
    public long size() {
        bindings.cleanUp();
        return bindings.estimatedSize();
    }

    public long maximumSize() {
        return maximumSize;
    }

    @Override
    public String toString() {
        return "AffinityMemory{" + bindings.estimatedSize() + " of at most " + maximumSize + " keys, idle expiry "
                + idleExpiry + "}";
    }

    private static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("affinity key is " + (key == null ? "null" : "empty")
                    + "; expected a session key such as a cookie value");
        }
        return key;
    }

    /** Builds an {@link AffinityMemory}; defaults: 100,000 keys, 30 minutes idle. */
    public static final class Builder {
        private long maximumSize = 100_000;
        private Duration idleExpiry = Duration.ofMinutes(30);
        private Scheduler scheduler = Scheduler.system();

        private Builder() {}

        /** At most this many keys are remembered; the least recently used go first. */
        public Builder maximumSize(long maximumSize) {
            this.maximumSize = maximumSize;
            return this;
        }

        /** A key not used for this long is forgotten. */
        public Builder idleExpiry(Duration idleExpiry) {
            this.idleExpiry = idleExpiry;
            return this;
        }

        /** The time source, for tests. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public AffinityMemory build() {
            if (maximumSize < 1) {
                throw new IllegalArgumentException("affinity memory maximumSize is " + maximumSize
                        + "; expected at least 1");
            }
            Durations.requirePositive("affinity memory idleExpiry", idleExpiry, "PT30M");
            return new AffinityMemory(this);
        }
    }
}
