package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import java.net.Proxy;
import java.net.ProxySelector;
import java.util.Objects;
import okhttp3.ConnectionPool;
import okhttp3.Dns;

/**
 * What takes a service's attempts to one pod ({@link PodChain}): the pod's connection pool, and
 * the {@link PodDns} and {@link PodProxySelector} its last attempt went through, which the next
 * attempt reuses while the host and the client's own {@code Dns} and proxy settings are the same.
 * OkHttp compares them by equality to share pooled connections, so a reused one and a new one
 * route alike; reusing them spares two objects on every call.
 *
 * <p>Read on the threads that run calls. Two calls may each make a new one at the same time: both
 * are equal, and the last written is kept.
 */
final class PodRouting {
    final ConnectionPool pool;
    private volatile PodDns dns;
    private volatile PodProxySelector proxySelector;

    PodRouting(ConnectionPool pool) {
        this.pool = pool;
    }

    /** Resolves {@code host} to {@code pod}, and other names with {@code others}. */
    PodDns dns(String host, Endpoint pod, Dns others) {
        PodDns last = dns;
        if (last != null && last.sameAs(host, others)) {
            return last;
        }
        PodDns fresh = new PodDns(host, pod.address(), pod.port(), others);
        dns = fresh;
        return fresh;
    }

    /** Sends {@code host} to the pod directly, and other hosts through the client's {@code proxy} or {@code selector}. */
    PodProxySelector proxySelector(String host, Proxy proxy, ProxySelector selector) {
        PodProxySelector last = proxySelector;
        if (last != null && last.sameAs(host, proxy, selector)) {
            return last;
        }
        PodProxySelector fresh = new PodProxySelector(host, proxy, selector);
        proxySelector = fresh;
        return fresh;
    }

    @Override
    public String toString() {
        return "PodRouting{" + Objects.toString(dns, "no attempt yet") + "}";
    }
}
