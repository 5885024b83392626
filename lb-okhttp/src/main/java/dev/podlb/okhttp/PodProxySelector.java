package dev.podlb.okhttp;

import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Sends attempts on the balanced host straight to their pod, past the client's proxy (a proxy
 * would reach some pod of its own choosing, or none, while podlb charged the one it picked); every
 * other host (a redirect's) goes through the client's proxy as it would without podlb. Equal by
 * host and the client's proxy settings, so that pooled connections are shared between attempts.
 */
final class PodProxySelector extends ProxySelector {
    private final String host;
    private final Proxy clientProxy;
    private final ProxySelector clientSelector;

    /** {@code clientProxy} is the client's fixed proxy, or {@code null} when its selector decides. */
    PodProxySelector(String host, Proxy clientProxy, ProxySelector clientSelector) {
        this.host = host;
        this.clientProxy = clientProxy;
        this.clientSelector = clientSelector;
    }

    @Override
    public List<Proxy> select(URI uri) {
        if (host.equalsIgnoreCase(uri.getHost())) {
            return List.of(Proxy.NO_PROXY);
        }
        return clientProxy != null ? List.of(clientProxy) : clientSelector.select(uri);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException failure) {
        if (clientProxy == null && !host.equalsIgnoreCase(uri.getHost())) {
            clientSelector.connectFailed(uri, address, failure);
        }
    }

    /** Whether this bypasses the proxy for {@code host} alone and otherwise uses these very {@code proxy} and {@code selector}. */
    boolean sameAs(String host, Proxy proxy, ProxySelector selector) {
        return clientSelector == selector && Objects.equals(clientProxy, proxy) && this.host.equals(host);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof PodProxySelector other && other.host.equals(host) && Objects.equals(other.clientProxy, clientProxy)
                && other.clientSelector.equals(clientSelector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, clientProxy, clientSelector);
    }
}
