package dev.podlb.core.discovery.dns;

import static dev.podlb.core.discovery.dns.DnsHarness.authorities;
import static dev.podlb.core.discovery.dns.DnsHarness.waiting;

import dev.podlb.testing.TestDnsServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.testing.PodlbThreads;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/** The DNS resolver against a real DNS server on 127.0.0.1, over UDP and TCP. */
class DnsResolverTest {
    private static final String SERVICE = "backend.default.svc.cluster.local";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ManualScheduler clock = new ManualScheduler();
    private TestDnsServer dns;
    private Discovery discovery;
    private final List<LoadBalancer> balancers = new ArrayList<>();

    @BeforeEach
    void startDns() throws Exception {
        dns = new TestDnsServer();
    }

    @AfterEach
    void stop() {
        balancers.forEach(LoadBalancer::close);
        if (discovery != null) {
            discovery.close();
        }
        dns.close();
    }

    private LoadBalancer balancer(String target) {
        return balancer(target, settings -> settings);
    }

    private LoadBalancer balancer(String target, Function<DnsSettings.Builder, DnsSettings.Builder> settings) {
        if (discovery == null) {
            discovery = Discovery.builder()
                    .dns(settings.apply(TestDns.settings(dns).scheduler(clock).queryTimeout(Duration.ofMillis(300))).build())
                    .build();
        }
        LoadBalancer lb = LoadBalancer.builder("backend").target(target).discovery(discovery).build();
        balancers.add(lb);
        return lb;
    }

    /**
     * Moves the clock on in steps of 100 ms, waiting after each for a refresh it started to get its
     * answer (or time out for real) and schedule the next.
     */
    private void advance(Duration total) {
        Duration step = Duration.ofMillis(100);
        for (Duration done = Duration.ZERO; done.compareTo(total) < 0; done = done.plus(step)) {
            clock.advance(step);
            waiting().until(() -> clock.pendingTasks() > 0);
        }
    }

    @Test
    void aRecordsBecomeEndpointsOnTheTargetsPort() {
        dns.a(SERVICE, 30, "10.0.0.1", "10.0.0.2", "10.0.0.3");

        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080").awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    }

    @Test
    void bothFamiliesMergeAAndAaaaRecords() {
        dns.a(SERVICE, 30, "10.0.0.1");
        dns.aaaa(SERVICE, 30, "fd00::1");

        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080").awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactlyInAnyOrder("10.0.0.1:8080", "[fd00::1]:8080");
    }

    @Test
    void ipv6OnlyAsksOnlyForAaaaRecords() {
        dns.a(SERVICE, 30, "10.0.0.1");
        dns.aaaa(SERVICE, 30, "fd00::1");

        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV6)).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("[fd00::1]:8080");
        assertThat(dns.queries(SERVICE, Type.A)).isZero();
    }

    @Test
    void srvRecordsGivePortWeightAndPodName() {
        String srv = "_http._tcp." + SERVICE;
        dns.srv(srv, 30, "pod-a." + SERVICE + ":8080:10", "pod-b." + SERVICE + ":9090:20");
        dns.a("pod-a." + SERVICE, 30, "10.0.0.1");
        dns.a("pod-b." + SERVICE, 30, "10.0.0.2");

        LoadBalancer lb = balancer("dns:///" + srv).awaitReady(WAIT);

        assertThat(lb.endpoints().endpoints()).extracting(Endpoint::authority, e -> e.podName().orElse(null), Endpoint::weight)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("10.0.0.1:8080", "pod-a", 10),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.2:9090", "pod-b", 20));
    }

    @Test
    void srvTargetsWithoutAddressesAreLeftOut() {
        String srv = "_http._tcp." + SERVICE;
        dns.srv(srv, 30, "pod-a." + SERVICE + ":8080:1", "gone." + SERVICE + ":8080:1");
        dns.a("pod-a." + SERVICE, 30, "10.0.0.1");

        LoadBalancer lb = balancer("dns:///" + srv).awaitReady(WAIT);

        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }

    @Test
    void nextQueryComesAtTheRecordsTtl() {
        dns.a(SERVICE, 5, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        dns.a(SERVICE, 5, "10.0.0.2");

        clock.advance(Duration.ofMillis(4990));
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(1);

        clock.advance(Duration.ofMillis(510)); // jitter delays a refresh by at most 10%, and at most 0.5 s
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.2:8080")));
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(2);
    }

    @Test
    void ttlIsClampedToTheRefreshBounds() {
        dns.a(SERVICE, 3600, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080",
                s -> s.ipFamily(IpFamily.IPV4).refresh(Duration.ofSeconds(1), Duration.ofSeconds(30))).awaitReady(WAIT);
        dns.a(SERVICE, 3600, "10.0.0.2");

        clock.advance(Duration.ofSeconds(29));
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(1);

        clock.advance(Duration.ofMillis(1500));
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.2:8080")));
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(2);
    }

    @Test
    void servfailKeepsTheLastGoodSetAndRecovers() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.mode(TestDnsServer.Mode.SERVFAIL);
        advance(Duration.ofMillis(1200));
        waiting().until(() -> lb.status().lastResolutionError() != null);
        assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL").hasMessageContaining(SERVICE);
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080");

        dns.a(SERVICE, 1, "10.0.0.9");
        dns.mode(TestDnsServer.Mode.ANSWER);
        advance(Duration.ofSeconds(3));
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.9:8080")));
        assertThat(lb.status().lastResolutionError()).isNull();
    }

    @Test
    void silentServerTimesOutAndTheLastGoodSetServes() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.mode(TestDnsServer.Mode.SILENT);
        advance(Duration.ofMillis(1200));
        waiting().until(() -> lb.status().lastResolutionError() != null);

        assertThat(lb.status().lastResolutionError()).hasMessageContaining("no answer within PT0.3S");
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080");
    }

    @Test
    void lastGoodSetIsDroppedAfterTheMaximumStaleness() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080",
                s -> s.ipFamily(IpFamily.IPV4).maxStaleness(Duration.ofSeconds(10))).awaitReady(WAIT);

        dns.mode(TestDnsServer.Mode.SERVFAIL);
        advance(Duration.ofSeconds(8));
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");

        advance(Duration.ofSeconds(20));
        waiting().until(() -> lb.endpoints().isEmpty());
        assertThatThrownBy(lb::pick).isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("no endpoint discovered for service backend")
                .hasMessageContaining("SERVFAIL");
    }

    @Test
    void malformedAnswerIsAFailureThatKeepsTheLastGoodSet() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.mode(TestDnsServer.Mode.GARBAGE);
        advance(Duration.ofMillis(1200));
        waiting().until(() -> lb.status().lastResolutionError() != null);

        assertThat(lb.status().lastResolutionError()).hasMessageContaining(SERVICE);
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }

    @Test
    void answerWithTheWrongQueryIdIsNotBelieved() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.a(SERVICE, 1, "10.6.6.6");
        dns.mode(TestDnsServer.Mode.WRONG_ID);
        advance(Duration.ofMillis(1200));
        waiting().until(() -> lb.status().lastResolutionError() != null);

        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }

    @Test
    @Timeout(20)
    void nameThatDoesNotExistFailsAwaitReadyAtOnceWithAClearError() {
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080");

        // NXDOMAIN is an answer: awaitReady fails on it rather than waiting out its minute (the @Timeout would end it).
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMinutes(1)))
                .isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("service backend: dns:///" + SERVICE + ":8080: " + SERVICE
                        + " has no A or AAAA records (NXDOMAIN)");
    }

    @Test
    void nameThatNeverExistedStaysAnErrorThroughItsRetries() {
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4));
        waiting().until(() -> lb.status().lastResolutionError() != null);

        advance(Duration.ofSeconds(5));
        waiting().until(() -> dns.queries(SERVICE, Type.A) >= 3);

        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMillis(1)))
                .isInstanceOf(NoEndpointException.class)
                .hasMessageContaining(SERVICE + " has no A records (NXDOMAIN)");
    }

    @Test
    void nameThatDisappearsLaterEmptiesTheSetUntilPodsReturn() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.remove(SERVICE);
        advance(Duration.ofMillis(1200));
        waiting().until(() -> lb.endpoints().isEmpty());
        assertThatThrownBy(lb::pick).isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("NXDOMAIN");

        dns.a(SERVICE, 1, "10.0.0.2");
        advance(Duration.ofSeconds(3));
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.2:8080")));
    }

    @Test
    void truncatedAnswerFallsBackToTcpAndSixtyPodsResolveWhole() {
        String srv = "_http._tcp." + SERVICE;
        List<String> targets = new ArrayList<>();
        for (int i = 1; i <= 60; i++) {
            String pod = "backend-7c9f8d6b5-pod" + i + "." + SERVICE;
            targets.add(pod + ":8080:1");
            dns.a(pod, 30, "10.0.1." + i);
        }
        dns.srv(srv, 30, targets.toArray(new String[0]));
        String[] addresses = new String[60];
        for (int i = 0; i < 60; i++) {
            addresses[i] = "10.0.2." + (i + 1);
        }
        dns.a(SERVICE, 30, addresses);

        LoadBalancer bySrv = balancer("dns:///" + srv, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        LoadBalancer byA = balancer("dns:///" + SERVICE + ":8080").awaitReady(WAIT);

        assertThat(bySrv.endpoints().size()).isEqualTo(60);
        assertThat(byA.endpoints().size()).isEqualTo(60);
        assertThat(dns.tcpQueries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void shortNamesExpandThroughSearchDomainsAndAbsoluteNamesDoNot() {
        dns.a(SERVICE, 30, "10.0.0.1");
        LoadBalancer shortName = balancer("dns:///backend:8080",
                s -> s.searchDomains(List.of("default.svc.cluster.local", "svc.cluster.local")).ndots(5)
                        .ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        assertThat(authorities(shortName)).containsExactly("10.0.0.1:8080");

        LoadBalancer namespaced = balancer("dns:///backend.default:8080").awaitReady(WAIT);
        assertThat(authorities(namespaced)).containsExactly("10.0.0.1:8080");

        LoadBalancer absolute = balancer("dns:///backend.:8080");
        assertThatThrownBy(() -> absolute.awaitReady(Duration.ofSeconds(2)))
                .hasMessageContaining("backend. has no A records (NXDOMAIN)");
    }

    @Test
    void loadBalancersOnOneTargetShareOneRefreshLoop() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer first = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        LoadBalancer second = balancer("dns:///" + SERVICE + ":8080").awaitReady(WAIT);
        assertThat(discovery.openResolvers()).isEqualTo(1);

        advance(Duration.ofMillis(3500)); // refreshes at 1, 2 and 3 s, each up to 10% late
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(4);

        first.close();
        dns.a(SERVICE, 1, "10.0.0.2");
        advance(Duration.ofMillis(1200));
        waiting().until(() -> authorities(second).equals(Set.of("10.0.0.2:8080")));

        second.close();
        assertThat(discovery.openResolvers()).isZero();
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void targetsNamingTheSameHostShareItsCachedAnswer() {
        dns.a(SERVICE, 30, "10.0.0.1");
        LoadBalancer http = balancer("dns:///" + SERVICE + ":8080", s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        LoadBalancer grpc = balancer("dns:///" + SERVICE + ":9090").awaitReady(WAIT);

        assertThat(discovery.openResolvers()).isEqualTo(2);
        assertThat(authorities(grpc)).containsExactly("10.0.0.1:9090");
        assertThat(dns.queries(SERVICE, Type.A)).isEqualTo(1);
        assertThat(authorities(http)).containsExactly("10.0.0.1:8080");
    }

    @Test
    void noPodlbThreadOutlivesTheLastLoadBalancer() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = balancer("dns:///" + SERVICE + ":8080").awaitReady(WAIT);
        assertThat(PodlbThreads.alive()).isNotEmpty();

        lb.close();
        discovery.close();

        waiting().until(() -> PodlbThreads.alive().isEmpty());
    }
}
