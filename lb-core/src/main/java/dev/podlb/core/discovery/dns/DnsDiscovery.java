package dev.podlb.core.discovery.dns;

import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.ResolverFactory;
import dev.podlb.core.discovery.Target;
import java.util.Objects;

/**
 * Resolves {@code dns:///} targets with one set of {@link DnsSettings} and one cache of answers,
 * shared by all of its resolvers.
 */
public final class DnsDiscovery implements ResolverFactory {
    private final DnsLookups lookups;

    private DnsDiscovery(DnsSettings settings) {
        this.lookups = new DnsLookups(settings);
    }

    public static DnsDiscovery using(DnsSettings settings) {
        return new DnsDiscovery(Objects.requireNonNull(settings, "DNS settings"));
    }

    @Override
    public Resolver create(Target target) {
        return new DnsResolver(DnsTarget.parse(target), lookups);
    }

    @Override
    public void close() {
        lookups.close();
    }

    @Override
    public String toString() {
        return "DnsDiscovery{" + lookups.settings() + "}";
    }
}
