package dev.podlb.core.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Pickers;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code trafficDistribution: PreferSameNode} through fabric8's mock API server: EndpointSlices
 * hinted as the EndpointSlice controller hints them (each endpoint for its own node and zone), a
 * client on node-a1 where one of the node's two pods is not ready. kube-proxy sends every call to
 * the node's ready pod; podlb's spill-over sends the node's shortfall to the node's zone first, and
 * only the zone's own shortfall to the other zones.
 */
@Timeout(60)
class NodeHintsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int KEYS = 20_000;

    private final KubernetesClient client = KubernetesApi.client();
    private Discovery discovery;
    private LoadBalancer lb;

    @BeforeEach
    void cluster() {
        KubernetesApi.clear();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client).readingServices(false)).build();
    }

    @AfterEach
    void stop() {
        if (lb != null) {
            lb.close();
        }
        discovery.close();
    }

    /**
     * Eight pods: two on node-a1 (a1-2 not ready), one on node-a2, three in zone b, two in zone c;
     * each endpoint {@code address/pod/node/zone/ready}.
     */
    private void eightPods(boolean a2Ready) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abcde").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort();
        for (String pod : new String[] {"10.0.1.1/a1-1/node-a1/a/true", "10.0.1.2/a1-2/node-a1/a/false",
                "10.0.1.3/a2-1/node-a2/a/" + a2Ready, "10.0.1.4/a2-2/node-a2/a/true", "10.0.2.1/b1/node-b1/b/true",
                "10.0.2.2/b2/node-b2/b/true", "10.0.3.1/c1/node-c1/c/true", "10.0.3.2/c2/node-c2/c/true"}) {
            String[] f = pod.split("/");
            boolean ready = Boolean.parseBoolean(f[4]);
            slice.addNewEndpoint().withAddresses(f[0])
                    .withNewTargetRef().withKind("Pod").withName(f[1]).withNamespace("default").endTargetRef()
                    .withNodeName(f[2]).withZone(f[3])
                    .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
                    .withNewHints().addNewForNode(f[2]).addNewForZone(f[3]).endHints()
                    .endEndpoint();
        }
        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice.build())
                .createOr(existing -> existing.update());
    }

    private LoadBalancer balancer(TopologyPolicy.Builder topology) {
        lb = LoadBalancer.builder("backend").target("k8s:///backend.default:http").discovery(discovery)
                .picker(Pickers.sticky()).topology(topology.locality(Locality.of("a", "node-a1")).build()).build();
        return lb.awaitReady(WAIT);
    }

    /** The share of {@value #KEYS} sticky keys each pod receives. */
    private Map<String, Double> podShares() {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            Endpoint picked = lb.pick(PickRequest.sticky("user-" + i));
            counts.merge(picked.podName().orElseThrow(), 1, Integer::sum);
        }
        Map<String, Double> shares = new HashMap<>();
        counts.forEach((pod, count) -> shares.put(pod, (double) count / KEYS));
        return shares;
    }

    @Test
    void whatSpillsFromTheNodeGoesToTheNodesZoneFirst() {
        eightPods(true);
        balancer(TopologyPolicy.builder());

        // The node has 1 of 7 healthy pods against 2 of 8 expected: it keeps (1/7) / (2/8) = 57%. The zone's
        // pods off the node are 2 of the 6 healthy ones there, as expected (2 of 6 hinted): they take the rest.
        Map<String, Double> shares = podShares();
        assertThat(shares).containsOnlyKeys("a1-1", "a2-1", "a2-2");
        assertThat(shares.get("a1-1")).isBetween(0.55, 0.59);
        assertThat(lb.status().routing()).isEqualTo("node node-a1, 43% spilled");
        assertThat(lb.status().routingReason()).contains("spill to the 2 healthy endpoints of zone a off the node");
    }

    @Test
    void whenTheZoneIsShortTooTheNodeKeepsItsShareAndOnlyTheZonesShortfallLeavesIt() {
        eightPods(false);
        balancer(TopologyPolicy.builder());

        // The node has 1 of 6 healthy pods against 2 of 8 expected: it keeps (1/6) / (2/8) = 67%, as it would
        // with its zone whole. Off the node, zone a has 1 of 5 healthy pods against 2 of 6 expected: its pods off
        // the node take (1/5) / (2/6) = 60% of the node's spill (20% of the calls), the other zones the rest (13%).
        Map<String, Double> shares = podShares();
        assertThat(shares).doesNotContainKeys("a1-2", "a2-1");
        assertThat(shares.get("a1-1")).isBetween(0.645, 0.69);
        assertThat(shares.get("a2-2")).isBetween(0.18, 0.22);
        double otherZones = shares.getOrDefault("b1", 0.0) + shares.getOrDefault("b2", 0.0)
                + shares.getOrDefault("c1", 0.0) + shares.getOrDefault("c2", 0.0);
        assertThat(otherZones).isBetween(0.115, 0.155);
        assertThat(lb.status().routing()).isEqualTo("node node-a1, 33% spilled, 13% out of zone a");
    }

    @Test
    void withoutSpillOverTheNodeKeepsEveryCallAsKubeProxyDoes() {
        eightPods(true);
        balancer(TopologyPolicy.builder().spillOver(false));

        assertThat(podShares()).containsOnlyKeys("a1-1");
        assertThat(lb.status().routing()).isEqualTo("node node-a1");
    }
}
