package dev.podlb.okhttp;

import java.net.InetAddress;
import java.util.List;
import okhttp3.Dns;

/**
 * Resolves the service's host name to the one pod picked for a call. Equal by address, so OkHttp
 * pools connections per (host, pod) and reuses them across calls to the same pod.
 */
final class PodDns implements Dns {
    private final InetAddress address;

    PodDns(InetAddress address) {
        this.address = address;
    }

    @Override
    public List<InetAddress> lookup(String hostname) {
        return List.of(address);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodDns && ((PodDns) o).address.equals(address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public String toString() {
        return "PodDns{" + address.getHostAddress() + "}";
    }
}
