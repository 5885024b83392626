package dev.podlb.okhttp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * Resolves the service's host name to the one pod picked for a call. Equal by the pod's address
 * and port, so OkHttp pools connections per (host, pod) and reuses them for later calls to the
 * same pod, never for another.
 */
final class PodDns implements Dns {
    private final InetAddress address;
    private final int port;

    PodDns(InetAddress address, int port) {
        this.address = address;
        this.port = port;
    }

    /** The pod's address under the service's name, so that OkHttp's errors name both: {@code backend/10.0.0.7:8080}. */
    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
        return List.of(InetAddress.getByAddress(hostname, address.getAddress()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodDns && ((PodDns) o).address.equals(address) && ((PodDns) o).port == port;
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 + port;
    }

    @Override
    public String toString() {
        return "PodDns{" + address.getHostAddress() + ":" + port + "}";
    }
}
