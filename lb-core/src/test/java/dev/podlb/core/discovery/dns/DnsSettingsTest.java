package dev.podlb.core.discovery.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DnsSettingsTest {
    private static DnsSettings.Builder builder(String... localAddresses) {
        List<InetAddress> addresses = new ArrayList<>();
        for (String literal : localAddresses) {
            try {
                addresses.add(InetAddress.getByName(literal));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return DnsSettings.builder().server(new InetSocketAddress("127.0.0.1", 53)).localAddresses(() -> addresses);
    }

    @Test
    void ipFamilyDefaultsToTheFamiliesOfThePodsOwnAddresses() {
        // Loopback and link-local addresses are on every host, whatever its cluster's families: they say nothing.
        assertThat(builder("127.0.0.1", "::1", "10.244.1.7", "fe80::1").build().ipFamily()).isEqualTo(IpFamily.IPV4);
        assertThat(builder("127.0.0.1", "::1", "fd00:10:244::7", "fe80::1").build().ipFamily()).isEqualTo(IpFamily.IPV6);
        assertThat(builder("10.244.1.7", "fd00:10:244::7").build().ipFamily()).isEqualTo(IpFamily.BOTH);
        assertThat(builder("127.0.0.1", "::1").build().ipFamily()).isEqualTo(IpFamily.BOTH);
        assertThat(builder().build().ipFamily()).isEqualTo(IpFamily.BOTH);
    }

    @Test
    void ipFamilySetOverridesTheLocalAddresses() {
        DnsSettings settings = builder("10.244.1.7").ipFamily(IpFamily.BOTH).build();

        assertThat(settings.ipFamily()).isEqualTo(IpFamily.BOTH);
        assertThat(settings.toString()).contains("BOTH").doesNotContain("from the local addresses");
        assertThat(builder("10.244.1.7").build().toString()).contains("IPV4 (from the local addresses)");
    }

    @Test
    void lastGoodSetServesForAsLongAsDnsFailsUnlessAMaximumStalenessIsSet() {
        assertThat(builder().build().maxStaleness()).isEmpty();
        assertThat(builder().maxStaleness(Duration.ofMinutes(5)).build().maxStaleness()).contains(Duration.ofMinutes(5));
        assertThatThrownBy(() -> builder().maxStaleness(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("DNS maxStaleness is PT0S; expected a positive duration such as 5m");
        assertThatThrownBy(() -> builder().maxStaleness(null))
                .hasMessageContaining("DNS maxStaleness is null; expected a positive duration such as 5m, or no"
                        + " maxStaleness to keep the last good set while DNS fails");
    }
}
