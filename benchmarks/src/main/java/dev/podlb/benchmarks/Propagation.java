package dev.podlb.benchmarks;

import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Time from a change at the source — an EndpointSlice updated on fabric8's mock API server, a DNS
 * answer changed on the test DNS server — until the load balancer picks from the new set.
 */
final class Propagation {
    private Propagation() {}

    /** A set the load balancer took, and when. */
    private record Arrival(long nanos, EndpointSet set) {}

    /** Median milliseconds over {@code changes} EndpointSlice updates. */
    static double kubernetesMedianMillis(int changes) throws Exception {
        KubernetesApi.clear();
        KubernetesClient client = KubernetesApi.client();
        try (Discovery discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build()) {
            client.discovery().v1().endpointSlices().inNamespace("default").resource(slice(0)).create();
            LinkedBlockingQueue<Arrival> seen = new LinkedBlockingQueue<>();
            try (LoadBalancer lb = LoadBalancer.builder("backend").target("k8s:///backend.default:http")
                    .discovery(discovery).listener(arrivals(seen)).build()) {
                lb.awaitReady(Duration.ofSeconds(10));
                // The mock server does not replay to the informer's watch what changed since its list:
                // a change made before the watch is live would be missed, not slow.
                KubernetesApi.awaitWatching(ip -> !lb.endpoints().lookup(ip).isEmpty(), "default", "backend", "http", 8080);
                return medianMillis(changes, seen, 10, Propagation::sliceAddress,
                        i -> client.discovery().v1().endpointSlices().inNamespace("default").resource(slice(i)).update());
            }
        }
    }

    /** Median milliseconds over {@code changes} DNS answer changes, with records of {@code ttl} seconds. */
    static double dnsMedianMillis(int changes, long ttl) throws Exception {
        String host = "backend.default.svc.cluster.local";
        try (TestDnsServer dns = new TestDnsServer();
             Discovery discovery = Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build()) {
            dns.a(host, ttl, "10.0.0.0");
            LinkedBlockingQueue<Arrival> seen = new LinkedBlockingQueue<>();
            try (LoadBalancer lb = LoadBalancer.builder("backend").target("dns:///" + host + ":8080")
                    .discovery(discovery).listener(arrivals(seen)).build()) {
                lb.awaitReady(Duration.ofSeconds(10));
                return medianMillis(changes, seen, ttl + 10, i -> "10.0.0." + i, i -> dns.a(host, ttl, "10.0.0." + i));
            }
        }
    }

    /**
     * Makes {@code changes} changes one after the other, each timed until the load balancer takes a
     * set holding the change's new {@code address}. Sets without it (from before the change, such
     * as the watch probe's) are passed over, so they never stand for the change's arrival.
     */
    private static double medianMillis(int changes, LinkedBlockingQueue<Arrival> seen, long timeoutSeconds,
            IntFunction<String> address, IntConsumer change) throws InterruptedException {
        List<Double> millis = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            change.accept(i);
            String expected = address.apply(i);
            Arrival arrival;
            do {
                arrival = seen.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (arrival == null) {
                    throw new IllegalStateException("change " + i + " did not reach the load balancer within "
                            + timeoutSeconds + " s");
                }
            } while (arrival.set().lookup(expected).isEmpty());
            millis.add((arrival.nanos() - start) / 1e6);
        }
        return median(millis);
    }

    private static LoadBalancerListener arrivals(LinkedBlockingQueue<Arrival> seen) {
        return new LoadBalancerListener() {
            @Override
            public void endpointsChanged(String service, EndpointSet set) {
                seen.add(new Arrival(System.nanoTime(), set));
            }
        };
    }

    private static String sliceAddress(int generation) {
        return "10.0.1." + (generation % 250 + 1);
    }

    private static EndpointSlice slice(int generation) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses(sliceAddress(generation)).withNewConditions().withReady(true)
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
