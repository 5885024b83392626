package dev.podlb.grpc;

import dev.podlb.core.discovery.Target;

/**
 * Resolves {@code k8s:///<service>[.<namespace>]:<port-name-or-number>} from the service's
 * EndpointSlices, as podlb's {@code k8s:///} target: ready, serving and terminating pods with their
 * names and zones. Calls carry {@code <service>[.<namespace>]} as their authority.
 */
public final class KubernetesNameResolverProvider extends PodlbNameResolverProvider {
    public KubernetesNameResolverProvider() {
        super("k8s", "k8s", "backend.default:grpc");
    }

    @Override
    String authority(Target target) {
        String path = target.path();
        return path.substring(0, path.lastIndexOf(':'));
    }
}
