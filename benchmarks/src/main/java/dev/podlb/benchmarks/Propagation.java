package dev.podlb.benchmarks;

import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.core.discovery.dns.TestDnsServer;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Time from a change at the source — an EndpointSlice updated on fabric8's mock API server, a DNS
 * answer changed on the test DNS server — until the load balancer picks from the new set.
 */
final class Propagation {
    private Propagation() {}

    /** Median milliseconds over {@code changes} EndpointSlice updates. */
    static double kubernetesMedianMillis(int changes) throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new io.fabric8.mockwebserver.MockWebServer(),
                new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getByName("127.0.0.1"), 0);
        try (KubernetesClient client = server.createClient();
             Discovery discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build()) {
            client.discovery().v1().endpointSlices().inNamespace("default").resource(slice(0)).create();
            LinkedBlockingQueue<Long> seen = new LinkedBlockingQueue<>();
            try (LoadBalancer lb = LoadBalancer.builder("backend").target("k8s:///backend.default:http")
                    .discovery(discovery).listener(arrivals(seen)).build()) {
                lb.awaitReady(Duration.ofSeconds(10));
                return medianMillis(changes, seen, 10,
                        i -> client.discovery().v1().endpointSlices().inNamespace("default").resource(slice(i)).update());
            }
        } finally {
            server.destroy();
        }
    }

    /** Median milliseconds over {@code changes} DNS answer changes, with records of {@code ttl} seconds. */
    static double dnsMedianMillis(int changes, long ttl) throws Exception {
        String host = "backend.default.svc.cluster.local";
        try (TestDnsServer dns = new TestDnsServer();
             Discovery discovery = Discovery.builder().dns(dns.settings().ipFamily(IpFamily.IPV4).build()).build()) {
            dns.a(host, ttl, "10.0.0.0");
            LinkedBlockingQueue<Long> seen = new LinkedBlockingQueue<>();
            try (LoadBalancer lb = LoadBalancer.builder("backend").target("dns:///" + host + ":8080")
                    .discovery(discovery).listener(arrivals(seen)).build()) {
                lb.awaitReady(Duration.ofSeconds(10));
                return medianMillis(changes, seen, ttl + 10, i -> dns.a(host, ttl, "10.0.0." + i));
            }
        }
    }

    /** Makes {@code changes} changes one after the other, each timed until the load balancer's set reflects it. */
    private static double medianMillis(int changes, LinkedBlockingQueue<Long> seen, long timeoutSeconds, IntConsumer change)
            throws InterruptedException {
        seen.clear();
        List<Double> millis = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            long start = System.nanoTime();
            change.accept(i);
            Long arrived = seen.poll(timeoutSeconds, TimeUnit.SECONDS);
            if (arrived == null) {
                throw new IllegalStateException("change " + i + " did not reach the load balancer within " + timeoutSeconds + " s");
            }
            millis.add((arrived - start) / 1e6);
        }
        return median(millis);
    }

    private static LoadBalancerListener arrivals(LinkedBlockingQueue<Long> seen) {
        return new LoadBalancerListener() {
            @Override
            public void endpointsChanged(String service, EndpointSet set) {
                seen.add(System.nanoTime());
            }
        };
    }

    private static EndpointSlice slice(int generation) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("10.0.1." + (generation % 250 + 1)).withNewConditions().withReady(true)
                .endConditions().endEndpoint()
                .build();
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
