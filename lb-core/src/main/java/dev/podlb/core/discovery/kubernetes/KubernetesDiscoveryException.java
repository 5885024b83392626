package dev.podlb.core.discovery.kubernetes;

/** A {@code k8s:///} target could not be resolved; the message names the service, the namespace and why. */
public final class KubernetesDiscoveryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KubernetesDiscoveryException(String message) {
        super(message);
    }

    KubernetesDiscoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
