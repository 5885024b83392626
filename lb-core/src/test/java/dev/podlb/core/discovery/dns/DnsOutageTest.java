package dev.podlb.core.discovery.dns;

import dev.podlb.testing.TestDnsServer;
import static dev.podlb.core.discovery.dns.DnsHarness.WAIT;
import static dev.podlb.core.discovery.dns.DnsHarness.authorities;
import static dev.podlb.core.discovery.dns.DnsHarness.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/** What DNS failures do: definite ones fail fast, transient ones keep the last good set, and recovery is prompt. */
@Timeout(60)
class DnsOutageTest {
    private static final String SERVICE = "backend.default.svc.cluster.local";
    private static final String TARGET = "dns:///" + SERVICE + ":8080";

    private DnsHarness h;
    private TestDnsServer dns;

    @BeforeEach
    void start() throws Exception {
        h = new DnsHarness();
        dns = h.dns;
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    @Test
    @Timeout(20)
    void refusedFailsAwaitReadyAtOnceNamingTheAnswer() {
        dns.mode(TestDnsServer.Mode.REFUSED);
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4));

        // REFUSED is an answer: awaitReady fails on it rather than waiting out its minute (the @Timeout would end it).
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMinutes(1)))
                .isInstanceOf(NoEndpointException.class)
                .hasMessageContaining(SERVICE)
                .hasMessageContaining("REFUSED");
        assertThat(dns.queries(SERVICE, Type.A)).isPositive();
    }

    @Test
    void setFollowsWithinFiveSecondsOfDnsAnsweringAgainAfterALongOutage() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        DnsHarness.Recorder sets = h.resolver(TARGET, s -> s);

        dns.mode(TestDnsServer.Mode.SERVFAIL);
        h.advance(Duration.ofSeconds(60));
        // the resolver plans its retry before it reports the failure: wait for the report
        waiting().untilAsserted(() -> assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL"));
        h.advanceUntilQueried(); // a retry met SERVFAIL just now
        long back = h.clock.nanoTime();
        dns.a(SERVICE, 1, "10.0.0.9");
        dns.mode(TestDnsServer.Mode.ANSWER);

        h.advance(Duration.ofSeconds(5)); // max(TTL, 5 s), however far the outage's backoff went
        waiting().until(() -> authorities(lb).equals(Set.of("10.0.0.9:8080")));
        waiting().until(() -> lb.status().lastResolutionError() == null);
        System.out.println("RELIABILITY | recovery after a 60 s SERVFAIL outage (TTL 1 s): the set followed "
                + Duration.ofNanos(sets.setTimes.get(sets.setTimes.size() - 1) - back).toMillis()
                + " ms (simulated) after DNS answered again");
    }

    @Test
    void errorClearsWhenDnsAnswersAgainWithTheSameSet() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);
        long version = lb.endpoints().version();

        dns.mode(TestDnsServer.Mode.SERVFAIL);
        h.advance(Duration.ofSeconds(10));
        // the resolver plans its retry before it reports the failure: wait for the report
        waiting().untilAsserted(() -> assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL"));

        dns.mode(TestDnsServer.Mode.ANSWER);
        h.advance(Duration.ofSeconds(5));
        waiting().until(() -> lb.status().lastResolutionError() == null);
        assertThat(lb.endpoints().version()).isEqualTo(version);
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
    }

    @Test
    void lastGoodSetIsKeptForAsLongAsDnsFailsByDefault() {
        dns.a(SERVICE, 1, "10.0.0.1");
        LoadBalancer lb = h.balancer(TARGET, s -> s.ipFamily(IpFamily.IPV4)).awaitReady(WAIT);

        dns.mode(TestDnsServer.Mode.SERVFAIL);
        h.advance(Duration.ofMinutes(10), Duration.ofSeconds(1), 1);

        assertThat(dns.queries(SERVICE, Type.A)).isGreaterThan(100); // retried through the ten minutes
        // the resolver plans its retry before it reports the failure: wait for the report
        waiting().untilAsserted(() -> assertThat(lb.status().lastResolutionError()).hasMessageContaining("SERVFAIL"));
        assertThat(authorities(lb)).containsExactly("10.0.0.1:8080");
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080");
    }

    @Test
    void listenersNeverRunOnDnsjavasThreads() {
        dns.a(SERVICE, 1, "10.0.0.1");
        DnsHarness.Recorder recorder = h.resolver(TARGET, s -> s.ipFamily(IpFamily.IPV4));
        waiting().until(() -> recorder.last() != null);

        dns.mode(TestDnsServer.Mode.SILENT); // each query times out, which dnsjava's selector thread notices
        h.advance(Duration.ofSeconds(3));
        waiting().until(() -> recorder.errors.size() >= 2);
        assertThat(recorder.errors.get(0)).hasMessageContaining("no answer within PT0.3S");

        dns.a(SERVICE, 1, "10.0.0.2");
        dns.mode(TestDnsServer.Mode.ANSWER);
        h.advance(Duration.ofSeconds(6));
        waiting().until(() -> recorder.last().size() == 1
                && recorder.last().endpoints().get(0).authority().equals("10.0.0.2:8080"));

        assertThat(recorder.threads).isNotEmpty().noneMatch(name -> name.startsWith("dnsjava"));
    }
}
