package dev.podlb.core.discovery.dns;

import dev.podlb.testing.TestDnsServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** DNS settings for lb-core's tests over a {@link TestDnsServer}. */
final class TestDns {
    private TestDns() {}

    /**
     * Settings that ask only {@code server}, with no search domains, and both address families by
     * default whatever the test machine's own addresses are.
     */
    static DnsSettings.Builder settings(TestDnsServer server) {
        return DnsSettings.builder().server(server.address()).searchDomains(List.of()).ndots(1)
                .localAddresses(() -> List.of(address("10.0.0.100"), address("fd00::100")));
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
