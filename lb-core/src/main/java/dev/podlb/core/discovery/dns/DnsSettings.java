package dev.podlb.core.discovery.dns;

import dev.podlb.core.internal.Durations;
import dev.podlb.core.time.Scheduler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.xbill.DNS.Name;
import org.xbill.DNS.ResolverConfig;

/**
 * How {@code dns:///} targets are resolved. The defaults read {@code /etc/resolv.conf} (servers,
 * search domains, ndots) as the system resolver does, so short names such as {@code backend} or
 * {@code backend.default} expand inside a pod as they would for {@code curl}; the record types
 * asked follow the pod's own addresses.
 *
 * <pre>{@code
 * DnsSettings dns = DnsSettings.builder()
 *         .ipFamily(IpFamily.IPV4)                                  // default: the families the pod has
 *         .refresh(Duration.ofSeconds(1), Duration.ofSeconds(30))   // clamp of the records' TTL
 *         .maxStaleness(Duration.ofMinutes(5))                      // default: the last good set is kept
 *         .build();
 * }</pre>
 */
public final class DnsSettings {
    private final List<InetSocketAddress> servers;
    private final List<String> searchDomains;
    private final int ndots;
    private final IpFamily ipFamily;
    private final boolean ipFamilyFromLocalAddresses;
    private final Duration queryTimeout;
    private final Duration minRefresh;
    private final Duration maxRefresh;
    private final Duration maxStaleness;
    private final long cacheSize;
    private final Scheduler scheduler;

    private DnsSettings(Builder b, IpFamily ipFamily) {
        this.servers = List.copyOf(b.servers);
        this.searchDomains = List.copyOf(b.searchDomains);
        this.ndots = b.ndots;
        this.ipFamily = ipFamily;
        this.ipFamilyFromLocalAddresses = b.ipFamily == null;
        this.queryTimeout = b.queryTimeout;
        this.minRefresh = b.minRefresh;
        this.maxRefresh = b.maxRefresh;
        this.maxStaleness = b.maxStaleness;
        this.cacheSize = b.cacheSize;
        this.scheduler = b.scheduler;
    }

    /** The system's resolver configuration and the defaults below. */
    public static DnsSettings system() {
        return builder().build();
    }

    /** Starts from the system's resolver configuration. */
    public static Builder builder() {
        return new Builder();
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    public List<String> searchDomains() {
        return searchDomains;
    }

    public int ndots() {
        return ndots;
    }

    /** The record types asked: as set, else from the local addresses when these settings were built. */
    public IpFamily ipFamily() {
        return ipFamily;
    }

    public Duration queryTimeout() {
        return queryTimeout;
    }

    public Duration minRefresh() {
        return minRefresh;
    }

    public Duration maxRefresh() {
        return maxRefresh;
    }

    /** How long the last good set serves while DNS fails; empty when it serves for as long as DNS fails. */
    public Optional<Duration> maxStaleness() {
        return Optional.ofNullable(maxStaleness);
    }

    public long cacheSize() {
        return cacheSize;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public String toString() {
        return "DnsSettings{servers=" + servers + ", search=" + searchDomains + ", ndots=" + ndots + ", " + ipFamily
                + (ipFamilyFromLocalAddresses ? " (from the local addresses)" : "") + ", timeout=" + queryTimeout
                + ", refresh=[" + minRefresh + ", " + maxRefresh + "], maxStaleness="
                + (maxStaleness == null ? "none (the last good set serves while DNS fails)" : maxStaleness) + "}";
    }

    public static final class Builder {
        private List<InetSocketAddress> servers;
        private List<String> searchDomains;
        private int ndots;
        private IpFamily ipFamily;
        private Supplier<? extends Collection<InetAddress>> localAddresses = LocalAddresses::ofUpInterfaces;
        private Duration queryTimeout = Duration.ofSeconds(2);
        private Duration minRefresh = Duration.ofSeconds(1);
        private Duration maxRefresh = Duration.ofSeconds(30);
        private Duration maxStaleness;
        private long cacheSize = 10_000;
        private Scheduler scheduler = Scheduler.system();

        private Builder() {
            ResolverConfig system = ResolverConfig.getCurrentConfig();
            servers = new ArrayList<>(system.servers());
            searchDomains = new ArrayList<>();
            for (Name domain : system.searchPath()) {
                searchDomains.add(domain.toString());
            }
            ndots = system.ndots();
        }

        /** The DNS servers asked, in order. Default: the {@code nameserver} lines of resolv.conf. */
        public Builder servers(List<InetSocketAddress> servers) {
            this.servers = new ArrayList<>(Objects.requireNonNull(servers, "DNS servers"));
            return this;
        }

        /** Shorthand for one server. */
        public Builder server(InetSocketAddress server) {
            return servers(List.of(Objects.requireNonNull(server, "DNS server")));
        }

        /** Domains appended to short names. Default: the {@code search} line of resolv.conf. */
        public Builder searchDomains(List<String> searchDomains) {
            this.searchDomains = new ArrayList<>(Objects.requireNonNull(searchDomains, "DNS search domains"));
            return this;
        }

        /**
         * Names with fewer dots than this try the search domains first. Default: resolv.conf's
         * {@code ndots}. A name already under one of the search domains, or under
         * {@code svc.cluster.local}, is asked as it is whatever its dots.
         */
        public Builder ndots(int ndots) {
            this.ndots = ndots;
            return this;
        }

        /**
         * A, AAAA or both. Default: the families of this host's addresses (loopback and link-local
         * ones aside), which in a pod are the pod's: A only in an IPv4 cluster, AAAA only in an
         * IPv6 one, both in a dual-stack one, and both when the addresses cannot be read.
         */
        public Builder ipFamily(IpFamily ipFamily) {
            this.ipFamily = Objects.requireNonNull(ipFamily, "DNS ipFamily is null; expected IPV4, IPV6 or BOTH");
            return this;
        }

        /** Where the default {@link #ipFamily} comes from: the host's addresses; others in tests. */
        Builder localAddresses(Supplier<? extends Collection<InetAddress>> localAddresses) {
            this.localAddresses = Objects.requireNonNull(localAddresses, "local addresses");
            return this;
        }

        /** How long one query waits for its answer. Default: 2 s. */
        public Builder queryTimeout(Duration queryTimeout) {
            this.queryTimeout = queryTimeout;
            return this;
        }

        /** The records' TTL, clamped to [min, max], sets when a name is queried again. Default: [1 s, 30 s]. */
        public Builder refresh(Duration min, Duration max) {
            this.minRefresh = min;
            this.maxRefresh = max;
            return this;
        }

        /**
         * How long the last good set keeps serving while DNS fails; after that it is dropped and
         * calls fail, naming the DNS failure. Default: it serves for as long as DNS fails, as gRPC
         * and Envoy do: a DNS outage is no reason to stop calling pods that answer.
         */
        public Builder maxStaleness(Duration maxStaleness) {
            this.maxStaleness = Objects.requireNonNull(maxStaleness, "DNS maxStaleness is null; expected a positive"
                    + " duration such as 5m, or no maxStaleness to keep the last good set while DNS fails");
            return this;
        }

        /** Most answers kept in the shared cache. Default: 10,000. */
        public Builder cacheSize(long cacheSize) {
            this.cacheSize = cacheSize;
            return this;
        }

        /** Time and delayed work; a {@link dev.podlb.core.time.ManualScheduler} in tests. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        public DnsSettings build() {
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("DNS servers is empty; expected at least one, such as 10.96.0.10:53"
                        + " (none was found in /etc/resolv.conf either)");
            }
            for (InetSocketAddress server : servers) {
                Objects.requireNonNull(server, "DNS servers contains null");
            }
            if (ndots < 0 || ndots > 15) {
                throw new IllegalArgumentException("DNS ndots is " + ndots + "; expected 0 to 15 (Kubernetes pods use 5)");
            }
            Durations.requirePositive("DNS queryTimeout", queryTimeout, "2s");
            Durations.requirePositive("DNS minRefresh", minRefresh, "1s");
            Durations.requirePositive("DNS maxRefresh", maxRefresh, "30s");
            if (maxStaleness != null) {
                Durations.requirePositive("DNS maxStaleness", maxStaleness, "5m");
            }
            if (minRefresh.compareTo(maxRefresh) > 0) {
                throw new IllegalArgumentException("DNS minRefresh " + minRefresh + " is above maxRefresh " + maxRefresh
                        + "; expected min <= max, such as 1s and 30s");
            }
            if (cacheSize < 1) {
                throw new IllegalArgumentException("DNS cacheSize is " + cacheSize + "; expected at least 1, such as 10000");
            }
            Objects.requireNonNull(scheduler, "DNS scheduler is null");
            for (String domain : searchDomains) {
                if (domain == null || domain.isBlank()) {
                    throw new IllegalArgumentException("DNS search domains contains a blank entry; expected names such as"
                            + " default.svc.cluster.local");
                }
            }
            return new DnsSettings(this, ipFamily != null ? ipFamily : IpFamily.of(localAddresses.get()));
        }
    }
}
