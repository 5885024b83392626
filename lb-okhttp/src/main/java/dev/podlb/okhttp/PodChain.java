package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import java.net.Proxy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor.Chain;
import okhttp3.Request;

/**
 * The chain that takes one attempt to its pod: the balanced host resolves to the pod (every other
 * host as the client would), the pod's port replaces the URL's when they differ, the client's
 * proxy is bypassed for the balanced host when it has one ({@link DirectSelectors}), connections
 * come from the pod's pool, and the attempt is bounded by the service's per-try timeout.
 */
final class PodChain {
    private PodChain() {}

    /**
     * A request that must not be sent twice also turns off OkHttp's own retry, which would
     * otherwise send a POST again on a fresh connection when a pooled one dies after sending it.
     */
    static Chain to(Chain chain, Request request, Balanced balanced, Endpoint pod, PodConnections connections,
                    boolean repeatable) {
        String host = request.url().host();
        int urlPort = request.url().port();
        PodRouting routing = connections.routingFor(balanced.name(), pod);
        Chain routed = chain.withDns(routing.dns(host, pod, chain.getDns())).withConnectionPool(routing.pool);
        if (!repeatable) {
            routed = routed.withRetryOnConnectionFailure(false);
        }
        if (pod.port() != urlPort) {
            routed = routed.withSocketFactory(new PodPortSocketFactory(pod.address(), urlPort, pod.port()));
        }
        Proxy proxy = chain.getProxy();
        // A default client has no fixed proxy and a selector that answers NO_PROXY for every host:
        // bypassing it would change nothing and cost a copy of the chain on every call.
        if (!Proxy.NO_PROXY.equals(proxy) && (proxy != null || !DirectSelectors.allDirect(chain.getProxySelector()))) {
            if (proxy != null) {
                routed = routed.withProxy(null); // a fixed proxy would win over the selector
            }
            routed = routed.withProxySelector(routing.proxySelector(host, proxy, chain.getProxySelector()));
        }
        Duration perTry = balanced.service().perTryTimeout;
        if (perTry != null) {
            // Each change copies the chain: only the timeouts the per-try limit shortens are set.
            int limit = (int) perTry.toMillis();
            int connect = shorter(chain.connectTimeoutMillis(), limit);
            int read = shorter(chain.readTimeoutMillis(), limit);
            int write = shorter(chain.writeTimeoutMillis(), limit);
            if (connect != chain.connectTimeoutMillis()) {
                routed = routed.withConnectTimeout(connect, TimeUnit.MILLISECONDS);
            }
            if (read != chain.readTimeoutMillis()) {
                routed = routed.withReadTimeout(read, TimeUnit.MILLISECONDS);
            }
            if (write != chain.writeTimeoutMillis()) {
                routed = routed.withWriteTimeout(write, TimeUnit.MILLISECONDS);
            }
        }
        return routed;
    }

    /** The shorter of the client's timeout (0 is none) and the per-try limit. */
    private static int shorter(int clientMillis, int limitMillis) {
        return clientMillis == 0 ? limitMillis : Math.min(clientMillis, limitMillis);
    }
}
