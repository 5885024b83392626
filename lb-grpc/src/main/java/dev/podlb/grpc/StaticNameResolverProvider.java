package dev.podlb.grpc;

import dev.podlb.core.discovery.Target;

/**
 * Resolves {@code podlb+static:///<ip>:<port>[,<ip>:<port>...]}: a fixed list of pods, for tests
 * and local use. Calls carry the first address as their authority.
 */
public final class StaticNameResolverProvider extends PodlbNameResolverProvider {
    public StaticNameResolverProvider() {
        super("podlb+static", "static", "10.0.0.1:9090,10.0.0.2:9090");
    }

    @Override
    String authority(Target target) {
        String path = target.path();
        int comma = path.indexOf(',');
        return comma < 0 ? path : path.substring(0, comma);
    }
}
