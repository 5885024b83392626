package dev.podlb.core.discovery.dns;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** The addresses of this host's interfaces that are up: in a pod, the pod's own addresses. */
final class LocalAddresses {
    private LocalAddresses() {}

    /** Every address of every interface that is up; none when the interfaces cannot be read. */
    static List<InetAddress> ofUpInterfaces() {
        List<InetAddress> addresses = new ArrayList<>();
        try {
            Enumeration<NetworkInterface> interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                NetworkInterface one = interfaces.nextElement();
                if (one.isUp()) {
                    addresses.addAll(Collections.list(one.getInetAddresses()));
                }
            }
        } catch (SocketException unreadable) {
            // No addresses known: both families are asked for, which is always correct, if not the cheapest.
        }
        return addresses;
    }
}
