package dev.podlb.core.discovery.dns;

import static dev.podlb.core.discovery.dns.DnsHarness.WAIT;
import static dev.podlb.core.discovery.dns.DnsHarness.authorities;
import static dev.podlb.core.discovery.dns.DnsHarness.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.testing.TestDnsServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.Type;

/**
 * Both address families, read at one search candidate, against a real DNS server on 127.0.0.1: a
 * family that fails (no answer, SERVFAIL, REFUSED) never hides the other's records, and the search
 * list stops at the first name that exists, as glibc's getaddrinfo and dnsjava's LookupSession do.
 */
@Timeout(60)
class DnsFamiliesTest {
    private static final String SERVICE = "backend.default.svc.cluster.local";
    private static final String TARGET = "dns:///" + SERVICE + ":8080";
    /** A pod's resolv.conf, as far as these tests need it. */
    private static final Function<DnsSettings.Builder, DnsSettings.Builder> POD = s -> s
            .searchDomains(List.of("default.svc.cluster.local", "svc.cluster.local")).ndots(5);

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

    @ParameterizedTest
    @EnumSource(names = {"SILENT", "SERVFAIL", "REFUSED"})
    void aRecordsServeBeforeAFirstSetWhenAaaaFails(TestDnsServer.Mode aaaa) {
        dns.a(SERVICE, 30, "10.0.0.1", "10.0.0.2");
        dns.mode(SERVICE, Type.AAAA, aaaa);

        LoadBalancer lb = h.balancer(TARGET, s -> s).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
        assertThat(dns.queries(SERVICE, Type.AAAA)).isPositive(); // the AAAA question was asked, and failed
        assertThat(lb.status().lastResolutionError()).isNull();
    }

    @ParameterizedTest
    @EnumSource(names = {"SILENT", "SERVFAIL", "REFUSED"})
    void setFollowsTheARecordsAfterAFirstSetWhenAaaaFails(TestDnsServer.Mode aaaa) {
        dns.a(SERVICE, 1, "10.0.0.1");
        dns.aaaa(SERVICE, 1, "fd00::1");
        LoadBalancer lb = h.balancer(TARGET, s -> s).awaitReady(WAIT);
        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "[fd00::1]:8080");

        dns.mode(SERVICE, Type.AAAA, aaaa);
        dns.a(SERVICE, 1, "10.0.0.2");
        int aaaaQueries = dns.queries(SERVICE, Type.AAAA);
        h.advance(Duration.ofSeconds(3));

        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.2:8080")));
        assertThat(dns.queries(SERVICE, Type.AAAA)).isGreaterThan(aaaaQueries);
        assertThat(lb.status().lastResolutionError()).isNull();
    }

    @Test
    void aaaaRecordsServeWhenAFails() {
        dns.a(SERVICE, 30, "10.0.0.1");
        dns.aaaa(SERVICE, 30, "fd00::1");
        dns.mode(SERVICE, Type.A, TestDnsServer.Mode.SERVFAIL);

        LoadBalancer lb = h.balancer(TARGET, s -> s).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("[fd00::1]:8080");
        assertThat(dns.queries(SERVICE, Type.A)).isPositive();
    }

    @Test
    void lastGoodSetServesWhenEveryFamilyFails() {
        dns.a(SERVICE, 1, "10.0.0.1");
        dns.aaaa(SERVICE, 1, "fd00::1");
        LoadBalancer lb = h.balancer(TARGET, s -> s).awaitReady(WAIT);

        dns.mode(SERVICE, Type.A, TestDnsServer.Mode.SERVFAIL);
        dns.mode(SERVICE, Type.AAAA, TestDnsServer.Mode.REFUSED);
        h.advance(Duration.ofSeconds(3));

        waiting().until(() -> lb.status().lastResolutionError() != null);
        assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL").hasMessageContaining("REFUSED");
        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "[fd00::1]:8080");
    }

    @Test
    void familyThatFailsWhileTheOtherHasNoRecordsKeepsTheLastGoodSet() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s).awaitReady(WAIT);

        dns.mode(SERVICE, Type.A, TestDnsServer.Mode.SERVFAIL); // AAAA: the name has none, as before
        h.advance(Duration.ofSeconds(3));

        waiting().until(() -> lb.status().lastResolutionError() != null);
        assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL");
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }

    /**
     * The case: a pod's search list, a short name, a server authoritative for the cluster's
     * zone only. The AAAA question gets no records at the first candidate, which exists: the search
     * stops there, and the root name, which the server refuses, is never asked.
     */
    @Test
    void shortNameResolvesAtTheFirstSearchCandidateWhereverTheOtherFamilyHasNoRecords() {
        dns.zones("cluster.local");
        dns.a(SERVICE, 30, "10.0.0.1");

        LoadBalancer lb = h.balancer("dns:///backend:8080", POD).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
        assertThat(dns.queries(SERVICE, Type.AAAA)).isEqualTo(1);
        assertThat(dns.queries("backend.svc.cluster.local", Type.AAAA)).isZero();
        assertThat(dns.queries("backend", Type.AAAA)).isZero();
        assertThat(dns.queries("backend", Type.A)).isZero();
    }

    @Test
    void nameThatExistsOnlyUnderTheSecondSearchDomainIsFoundThere() {
        dns.zones("cluster.local");
        dns.a("backend.svc.cluster.local", 30, "10.0.0.7"); // and no AAAA records

        LoadBalancer lb = h.balancer("dns:///backend:8080", POD).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("10.0.0.7:8080");
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(1); // NXDOMAIN there moved the search on
        assertThat(dns.queries(SERVICE, Type.AAAA)).isEqualTo(1);
        assertThat(dns.queries("backend", Type.A)).isZero();
        assertThat(dns.queries("backend", Type.AAAA)).isZero();
    }

    @Test
    @Timeout(20)
    void refusalOfTheBareNameAfterTheSearchDomainsSaysSo() {
        dns.zones("cluster.local");

        LoadBalancer lb = h.balancer("dns:///backend:8080", POD);

        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMinutes(1))).isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("the server answered REFUSED for backend. (NXDOMAIN for"
                        + " backend.default.svc.cluster.local., backend.svc.cluster.local.)");
    }

    @Test
    void bothFamiliesAreReadAtTheSameNameEvenWhenALaterOneHasTheOther() {
        dns.a(SERVICE, 30, "10.0.0.1");
        dns.aaaa("backend.svc.cluster.local", 30, "fd00::9"); // another namespace's Service of the same name

        LoadBalancer lb = h.balancer("dns:///backend:8080", POD).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
        assertThat(dns.queries("backend.svc.cluster.local", Type.AAAA)).isZero();
    }

    @Test
    void srvTargetWhoseAddressLookupFailsIsLeftOutAndTheOthersServe() {
        String srv = "_http._tcp." + SERVICE;
        dns.srv(srv, 30, "pod-a." + SERVICE + ":8080:1", "pod-b." + SERVICE + ":8080:1", "pod-c." + SERVICE + ":8080:1");
        dns.a("pod-a." + SERVICE, 30, "10.0.0.1");
        dns.a("pod-b." + SERVICE, 30, "10.0.0.2");
        dns.a("pod-c." + SERVICE, 30, "10.0.0.3");
        dns.mode("pod-b." + SERVICE, Type.A, TestDnsServer.Mode.SERVFAIL);

        LoadBalancer lb = h.balancer("dns:///" + srv, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.3:8080");
        assertThat(dns.queries("pod-b." + SERVICE, Type.A)).isPositive();
        assertThat(lb.status().lastResolutionError()).isNull();
    }

    @Test
    void srvAnswerWhoseEveryTargetFailsKeepsTheLastGoodSet() {
        String srv = "_http._tcp." + SERVICE;
        dns.srv(srv, 1, "pod-a." + SERVICE + ":8080:1");
        dns.a("pod-a." + SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = h.balancer("dns:///" + srv, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.mode("pod-a." + SERVICE, Type.A, TestDnsServer.Mode.SERVFAIL);
        h.advance(Duration.ofSeconds(3));

        waiting().until(() -> lb.status().lastResolutionError() != null);
        assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL");
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }
}
