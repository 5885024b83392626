package dev.podlb.okhttp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import okhttp3.Dns;

/**
 * Resolves the balanced host name to the one pod picked for an attempt, and every other name (the
 * host of a cross-host redirect, say) as the client would without podlb. Equal by host, pod and
 * the client's own {@code Dns}, so OkHttp pools connections per (host, pod) and reuses them for
 * later attempts on the same pod, never for another.
 */
final class PodDns implements Dns {
    private final String host;
    private final InetAddress pod;
    private final int port;
    private final Dns others;

    PodDns(String host, InetAddress pod, int port, Dns others) {
        this.host = host;
        this.pod = pod;
        this.port = port;
        this.others = others;
    }

    /** The pod's address under the service's name, so that OkHttp's errors name both: {@code backend/10.0.0.7}. */
    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
        if (!hostname.equals(host)) {
            return others.lookup(hostname);
        }
        return List.of(InetAddress.getByAddress(hostname, pod.getAddress()));
    }

    /** Whether this resolves {@code host} to its pod and other names with {@code others}, the same instance. */
    boolean sameAs(String host, Dns others) {
        return this.others == others && this.host.equals(host);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof PodDns other && other.host.equals(host) && other.pod.equals(pod) && other.port == port
                && other.others.equals(others);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, pod, port, others);
    }

    @Override
    public String toString() {
        return "PodDns{" + host + " -> " + pod.getHostAddress() + ":" + port + "}";
    }
}
