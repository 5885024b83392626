package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.discovery.DiscoveryException;

/** A {@code k8s:///} target could not be resolved; the message names the service, the namespace and why. */
public final class KubernetesDiscoveryException extends DiscoveryException {
    private static final long serialVersionUID = 1L;

    KubernetesDiscoveryException(String message, boolean definite) {
        super(message, definite, null);
    }

    KubernetesDiscoveryException(String message, boolean definite, Throwable cause) {
        super(message, definite, cause);
    }
}
