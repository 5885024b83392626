package dev.podlb.core.discovery.dns;

import dev.podlb.testing.TestDnsServer;
import static dev.podlb.core.discovery.dns.DnsHarness.WAIT;
import static dev.podlb.core.discovery.dns.DnsHarness.authorities;
import static dev.podlb.core.discovery.dns.DnsHarness.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.LoadBalancer;
import java.time.Duration;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/**
 * NXDOMAIN and empty answers are answers: asked again at their negative TTL (the SOA minimum,
 * RFC 2308), cached and shared like positive ones.
 */
@Timeout(60)
class DnsNegativeAnswerTest {
    private static final String SERVICE = "backend.default.svc.cluster.local";
    private static final String TARGET = "dns:///" + SERVICE + ":8080";

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

    @Test
    void podsReturningAfterAScaleToZeroAreSeenWithinTheNegativeTtl() {
        dns.a(SERVICE, 5, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        DnsHarness.Recorder sets = h.resolver(TARGET, s -> s);

        dns.remove(SERVICE); // scaled to zero: the name answers NXDOMAIN
        h.advance(Duration.ofSeconds(60));
        waiting().until(() -> lb.endpoints().isEmpty());
        h.advanceUntilQueried(); // a refresh met NXDOMAIN just now
        long back = h.clock.nanoTime();
        dns.a(SERVICE, 5, "10.0.0.2");

        h.advance(Duration.ofMillis(5500)); // the SOA minimum, 5 s, and at most 0.5 s of jitter
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.2:8080")));
        System.out.println("RELIABILITY | scale to zero and back: NXDOMAIN for 60 s, pods back seen after "
                + Duration.ofNanos(sets.setTimes.get(sets.setTimes.size() - 1) - back).toMillis()
                + " ms (simulated; negative TTL 5 s)");
    }

    @Test
    void emptyAnswerIsAskedAgainAtItsNegativeTtl() {
        dns.a(SERVICE, 5, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.a(SERVICE, 5); // no pod ready: the name exists and has no address
        h.advance(Duration.ofSeconds(6));
        waiting().until(() -> lb.endpoints().isEmpty());
        int before = dns.queries(SERVICE, Type.A);
        h.advance(Duration.ofSeconds(60));

        // Every 5 to 5.5 s (the negative TTL and its jitter), not backing off as after a failure.
        assertThat(dns.queries(SERVICE, Type.A) - before).isBetween(10, 12);
    }

    @Test
    void emptyAnswersAreCachedAndSharedByEveryTargetNamingTheHost() {
        dns.soa("cluster.local", 2);
        dns.a(SERVICE, 2, "10.0.0.1"); // an IPv4-only service, asked for both families
        List<LoadBalancer> balancers = new ArrayList<>();
        for (int port = 8081; port <= 8090; port++) {
            balancers.add(h.balancer("dns:///" + SERVICE + ":" + port, s -> s.ipFamily(IpFamily.BOTH)).awaitReady(WAIT));
        }
        int a = dns.queries(SERVICE, Type.A);
        int aaaa = dns.queries(SERVICE, Type.AAAA);

        h.advance(Duration.ofSeconds(10), Duration.ofMillis(10), balancers.size());

        a = dns.queries(SERVICE, Type.A) - a;
        aaaa = dns.queries(SERVICE, Type.AAAA) - aaaa;
        System.out.println("RELIABILITY | 10 targets on one IPv4-only host, 10 s: " + a + " A and " + aaaa + " AAAA queries");
        assertThat(a).isBetween(4, 6);
        assertThat(aaaa).isBetween(4, 6);
        for (LoadBalancer lb : balancers) {
            assertThat(lb.endpoints().size()).isEqualTo(1);
        }
    }
}
