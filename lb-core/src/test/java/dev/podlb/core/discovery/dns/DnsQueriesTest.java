package dev.podlb.core.discovery.dns;

import dev.podlb.testing.TestDnsServer;
import static dev.podlb.core.discovery.dns.DnsHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.LoadBalancer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/** How many queries a refresh costs CoreDNS, with a pod's resolv.conf (three search domains, ndots:5). */
@Timeout(60)
class DnsQueriesTest {
    private static final String SERVICE = "backend.default.svc.cluster.local";
    private static final String SRV = "_http._tcp." + SERVICE;
    private static final Function<DnsSettings.Builder, DnsSettings.Builder> POD = s -> s
            .searchDomains(List.of("default.svc.cluster.local", "svc.cluster.local", "cluster.local")).ndots(5);

    /** What an IPv4-only pod's interfaces hold: its address, and a link-local IPv6 one as every interface has. */
    private static final Supplier<List<InetAddress>> IPV4_POD = () -> List.of(address("10.244.1.7"), address("fe80::1"));

    private DnsHarness h;
    private TestDnsServer dns;

    @BeforeEach
    void start() throws Exception {
        h = new DnsHarness();
        dns = h.dns;
        dns.soa("cluster.local", 5);
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private void pods(int n) {
        String[] targets = new String[n];
        String[] addresses = new String[n];
        for (int i = 1; i <= n; i++) {
            dns.a("pod-" + i + "." + SERVICE, 5, "10.0.0." + i);
            targets[i - 1] = "pod-" + i + "." + SERVICE + ":8080:1";
            addresses[i - 1] = "10.0.0." + i;
        }
        dns.a(SERVICE, 5, addresses);
        dns.srv(SRV, 5, targets);
    }

    @Test
    void nameUnderTheClusterDomainIsAskedAsItIsNotThroughTheSearchList() {
        pods(3);
        LoadBalancer lb = h.balancer("dns:///" + SERVICE + ":8080", s -> POD.apply(s).ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        assertThat(lb.endpoints().size()).isEqualTo(3);
        assertThat(dns.queries()).isEqualTo(1);
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(1);
    }

    /** Queries per refresh of {@code target}, over a minute of refreshes, counted by those of {@code name}/{@code type}. */
    private double queriesPerRefresh(String target, String name, int type) {
        pods(3);
        dns.additionalForSrv(true); // as CoreDNS answers a headless Service's SRV records
        LoadBalancer lb = h.balancer(target, s -> POD.apply(s).localAddresses(IPV4_POD)).awaitReady(WAIT);
        assertThat(lb.endpoints().size()).isEqualTo(3);
        int queries = dns.queries();
        int refreshes = dns.queries(name, type);

        h.advance(Duration.ofSeconds(60));

        queries = dns.queries() - queries;
        refreshes = dns.queries(name, type) - refreshes;
        assertThat(refreshes).isBetween(10, 12); // every 5 to 5.5 s: the TTL and its jitter
        double perRefresh = (double) queries / refreshes;
        System.out.println("RELIABILITY | queries per refresh of " + target + ": " + perRefresh + " (" + queries + " in "
                + refreshes + " refreshes)");
        return perRefresh;
    }

    @Test
    void aTargetAsksOneQueryPerRefresh() {
        assertThat(queriesPerRefresh("dns:///" + SERVICE + ":8080", SERVICE, Type.A)).isEqualTo(1.0);
    }

    @Test
    void srvTargetAsksOneQueryPerRefreshWhenTheAnswerCarriesTheAddresses() {
        assertThat(queriesPerRefresh("dns:///" + SRV, SRV, Type.SRV)).isEqualTo(1.0);
    }

    @Test
    void podThatHasOnlyIpv4AddressesAsksOnlyForARecords() {
        pods(3);
        dns.aaaa(SERVICE, 5, "fd00::1");
        LoadBalancer lb = h.balancer("dns:///" + SERVICE + ":8080", s -> POD.apply(s).localAddresses(IPV4_POD)).awaitReady(WAIT);

        assertThat(lb.endpoints().size()).isEqualTo(3);
        assertThat(dns.queries(Type.AAAA)).isZero();
    }

    @Test
    void srvTargetsMissingFromTheAdditionalSectionAreAskedFor() {
        dns.additionalForSrv(true);
        dns.srv(SRV, 5, "pod-1." + SERVICE + ":8080:1", "pod-2." + SERVICE + ":8080:1");
        dns.a("pod-1." + SERVICE, 5, "10.0.0.1"); // pod-2 has no address: the answer carries none for it

        LoadBalancer lb = h.balancer("dns:///" + SRV, s -> POD.apply(s).localAddresses(IPV4_POD)).awaitReady(WAIT);

        assertThat(lb.endpoints().endpoints()).extracting(e -> e.authority()).containsExactly("10.0.0.1:8080");
        assertThat(dns.queries("pod-1." + SERVICE, Type.A)).isZero();
        assertThat(dns.queries("pod-2." + SERVICE, Type.A)).isEqualTo(1);
    }
}
