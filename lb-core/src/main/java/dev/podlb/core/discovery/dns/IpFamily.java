package dev.podlb.core.discovery.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Collection;

/** Which address records a DNS resolver asks for. */
public enum IpFamily {
    /** A records only. */
    IPV4,
    /** AAAA records only. */
    IPV6,
    /** A and AAAA records, as a dual-stack Service answers. */
    BOTH;

    boolean wantsV4() {
        return this != IPV6;
    }

    boolean wantsV6() {
        return this != IPV4;
    }

    /**
     * The families a client with these addresses can reach pods in: a pod of an IPv4-only cluster
     * has only IPv4 addresses besides loopback and IPv6 link-local ones (every interface has one),
     * so its Services have no AAAA records worth asking for. Both when the addresses say neither.
     */
    static IpFamily of(Collection<InetAddress> localAddresses) {
        boolean v4 = false;
        boolean v6 = false;
        for (InetAddress address : localAddresses) {
            if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isAnyLocalAddress()
                    || address.isMulticastAddress()) {
                continue;
            }
            if (address instanceof Inet4Address) {
                v4 = true;
            } else {
                v6 = true;
            }
        }
        return v4 == v6 ? BOTH : v4 ? IPV4 : IPV6;
    }
}
