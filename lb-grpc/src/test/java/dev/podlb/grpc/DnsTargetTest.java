package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.DnsSettings;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code podlb+dns:///} targets resolved by lb-testing's DNS server, refreshed as the records' TTL says. */
@Timeout(30)
class DnsTargetTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private TestDnsServer dns;
    private Discovery discovery;
    private GrpcPods pods;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (discovery != null) {
            discovery.close();
        }
        if (pods != null) {
            pods.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    @Test
    void podsAddedToTheDnsAnswerGetCallsAfterItsTtlWithoutAnyConnectionFailing() throws Exception {
        dns = new TestDnsServer();
        pods = new GrpcPods("127.0.0.2", "127.0.0.3", "127.0.0.4");
        dns.a(HOST, 1, "127.0.0.2", "127.0.0.3");
        discovery = Discovery.builder().dns(DnsSettings.builder().server(dns.address()).searchDomains(List.of())
                .ndots(1).ipFamily(IpFamily.IPV4).build()).build();
        channel = PodlbGrpc.forTarget("podlb+dns:///" + HOST + ":" + pods.port())
                .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery).usePlaintext().build();
        Set<String> before = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            before.add(GrpcPods.which(channel));
        }
        int queriesBefore = dns.queries(HOST, org.xbill.DNS.Type.A);

        dns.a(HOST, 1, "127.0.0.2", "127.0.0.3", "127.0.0.4");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> GrpcPods.which(channel).equals("127.0.0.4"));

        assertThat(before).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3");
        assertThat(dns.queries(HOST, org.xbill.DNS.Type.A)).isGreaterThan(queriesBefore);
        assertThat(channel.authority()).isEqualTo(HOST + ":" + pods.port());
    }

    @Test
    void srvWeightsShareTheCallsOfOneChannel() throws Exception {
        dns = new TestDnsServer();
        pods = new GrpcPods("127.0.0.2", "127.0.0.3");
        dns.a("pod-a." + HOST, 30, "127.0.0.2");
        dns.a("pod-b." + HOST, 30, "127.0.0.3");
        dns.srv("_grpc._tcp." + HOST, 30, "pod-a." + HOST + ":" + pods.port() + ":3",
                "pod-b." + HOST + ":" + pods.port() + ":1");
        discovery = Discovery.builder().dns(DnsSettings.builder().server(dns.address()).searchDomains(List.of())
                .ndots(1).ipFamily(IpFamily.IPV4).build()).build();
        channel = PodlbGrpc.forTarget("podlb+dns:///_grpc._tcp." + HOST)
                .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery).usePlaintext().build();
        GrpcPods.awaitEveryPodAnswers(channel, 2);

        java.util.Map<String, Integer> answers = new java.util.HashMap<>();
        for (int i = 0; i < 400; i++) {
            answers.merge(GrpcPods.which(channel), 1, Integer::sum);
        }

        assertThat(answers.get("127.0.0.2")).isEqualTo(300);
        assertThat(answers.get("127.0.0.3")).isEqualTo(100);
    }

    @Test
    void aChannelShutDownReleasesItsResolver() throws Exception {
        dns = new TestDnsServer();
        pods = new GrpcPods("127.0.0.2");
        dns.a(HOST, 1, "127.0.0.2");
        discovery = Discovery.builder().dns(DnsSettings.builder().server(dns.address()).searchDomains(List.of())
                .ndots(1).ipFamily(IpFamily.IPV4).build()).build();
        PodlbPolicy policy = PodlbPolicy.builder().build();
        channel = policy.applyTo(io.grpc.ManagedChannelBuilder.forTarget("podlb+dns:///" + HOST + ":" + pods.port()))
                .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery).usePlaintext().build();
        assertThat(GrpcPods.which(channel)).isEqualTo("127.0.0.2");
        assertThat(discovery.openResolvers()).isEqualTo(1);
        assertThat(policy.loadBalancers()).hasSize(1);

        channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> discovery.openResolvers() == 0);
        assertThat(policy.loadBalancers()).isEmpty();
    }
}
