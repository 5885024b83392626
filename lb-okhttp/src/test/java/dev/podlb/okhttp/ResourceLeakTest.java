package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.testing.PodlbThreads;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** After a client and its load balancers close, no podlb thread runs and none of their sockets stays open. */
class ResourceLeakTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "counts file descriptors in /proc/self/fd, which only Linux has")
    void closingLeavesNoThreadOrSocketBehind() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); LocalPods pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            dns.a(HOST, 1, "127.0.0.2", "127.0.0.3", "127.0.0.4");
            warmUpDnsjava(dns);
            int threadsBefore = PodlbThreads.alive().size();
            int descriptorsBefore = openDescriptors();

            Discovery discovery = Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build();
            LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                    .service(HOST, "dns:///" + HOST + ":" + pods.port()).build();
            interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
            OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
            for (int i = 0; i < 300; i++) {
                try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/")
                        .build()).execute()) {
                    response.body().string();
                }
            }
            int descriptorsInUse = openDescriptors();

            interceptor.close();
            discovery.close();
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();

            await().atMost(Duration.ofSeconds(10)).until(() -> PodlbThreads.alive().size() <= threadsBefore);
            await().atMost(Duration.ofSeconds(10)).until(() -> openDescriptors() <= descriptorsBefore);
            Load.report("close after 300 calls over 3 pods (DNS)", "300 GETs", "client, interceptor and discovery closed",
                    "podlb threads " + threadsBefore + " before, " + PodlbThreads.alive().size() + " after; file descriptors "
                            + descriptorsBefore + " before, " + descriptorsInUse + " in use, " + openDescriptors() + " after");
        }
    }

    /** dnsjava opens one JVM-wide selector on first use and keeps it: it is dnsjava's, so it belongs in the baseline. */
    private static void warmUpDnsjava(TestDnsServer dns) throws IOException {
        org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(dns.address());
        resolver.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
                org.xbill.DNS.Name.fromString(HOST + "."), org.xbill.DNS.Type.A, org.xbill.DNS.DClass.IN)));
    }

    private static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
