package dev.podlb.grpc;

import dev.podlb.core.discovery.Target;

/**
 * Resolves {@code podlb+dns:///<name>:<port>} (A/AAAA records) and
 * {@code podlb+dns:///_<service>._tcp.<name>} (SRV records, with their weights) with podlb's DNS
 * discovery, which re-resolves as the records' TTL says rather than only when a connection
 * fails. Its own scheme, so that gRPC's {@code dns:///} stays gRPC's. Calls carry the target's
 * name (and port) as their authority.
 */
public final class DnsNameResolverProvider extends PodlbNameResolverProvider {
    public DnsNameResolverProvider() {
        super("podlb+dns", "dns", "backend.default.svc.cluster.local:9090");
    }

    @Override
    String authority(Target target) {
        return target.path();
    }
}
