package dev.podlb.core.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerBuilder;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.ManualScheduler;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes' topology rules as kube-proxy applies them, one row of the truth table per test, and
 * podlb's spill-over when the local zone runs short.
 */
class TopologyRulesTest {
    private final ManualScheduler time = new ManualScheduler();
    private final Locality inZoneA = Locality.of("a", "node-a1");
    private LoadBalancer lb;

    @AfterEach
    void close() {
        if (lb != null) {
            lb.close();
        }
    }

    /** Pod {@code n} in {@code zone} on node {@code node-<zone><n>}, hinted for {@code hints}. */
    private static Endpoint pod(int n, String zone, String... hints) {
        return Endpoint.builder("10.0." + zone.charAt(0) % 16 + "." + n, 8080).zone(zone).nodeName("node-" + zone + n)
                .zoneHints(List.of(hints)).build();
    }

    /** Three pods in each of zones a, b and c, each hinted for its own zone. */
    private static List<Endpoint> threeZones() {
        List<Endpoint> pods = new ArrayList<>();
        for (String zone : List.of("a", "b", "c")) {
            for (int n = 1; n <= 3; n++) {
                pods.add(pod(n, zone, zone));
            }
        }
        return pods;
    }

    /** {@link #threeZones()}, each pod also hinted for its own node, as {@code PreferSameNode} hints them. */
    private static List<Endpoint> nodeHinted() {
        List<Endpoint> pods = new ArrayList<>();
        for (Endpoint e : threeZones()) {
            pods.add(e.toBuilder().nodeHints(List.of(e.nodeName().orElseThrow())).build());
        }
        return pods;
    }

    private LoadBalancer balancer(List<Endpoint> pods, TopologyPolicy topology) {
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time).topology(topology)
                .ejection(EjectionPolicy.builder().maxEjectionPercent(100).build()).picker(Pickers.sticky()).build();
        return lb;
    }

    private LoadBalancer balancer(List<Endpoint> pods) {
        return balancer(pods, TopologyPolicy.builder().locality(inZoneA).build());
    }

    /** The zones 20,000 sticky keys reach, by share. */
    private Map<String, Double> zoneShares() {
        return shares(e -> e.zone().orElse("?"));
    }

    /** The places ({@code where} of the picked pod) 20,000 sticky keys reach, by share. */
    private Map<String, Double> shares(Function<Endpoint, String> where) {
        Map<String, Integer> counts = new HashMap<>();
        int keys = 20_000;
        for (int i = 0; i < keys; i++) {
            counts.merge(where.apply(lb.pick(PickRequest.sticky("user-" + i))), 1, Integer::sum);
        }
        Map<String, Double> shares = new HashMap<>();
        counts.forEach((place, count) -> shares.put(place, (double) count / keys));
        return shares;
    }

    private Set<Endpoint> picked() {
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            seen.add(lb.pick(PickRequest.sticky("k" + i)));
        }
        return seen;
    }

    private void eject(Endpoint pod) {
        for (int i = 0; i < 5; i++) {
            lb.report(pod, Outcome.connectFailure(new ConnectException("refused")));
        }
    }

    @Test
    void aRetryStaysInTheClientsZoneWhileItHasAnotherPod() {
        // Zone c's pods come last in the set's order: a fallback by position would leave the zone.
        balancer(threeZones(), TopologyPolicy.builder().locality(Locality.of("c", "node-c1")).build());
        for (int i = 0; i < 200; i++) {
            PickRequest request = PickRequest.sticky("user-" + i);
            Endpoint first = lb.pick(request);
            assertThat(first.zone()).contains("c");
            Endpoint retry = lb.pickAvoiding(request, java.util.Set.of(first.socketAddress()));
            assertThat(retry).isNotEqualTo(first);
            assertThat(retry.zone()).as("the retry of %s", request).contains("c");
        }
    }

    @Test
    void aRetryFromTheNodeStaysInTheNodesZoneWhileTheZoneHasAnotherPod() {
        balancer(nodeHinted()); // node-a1 has one pod, which takes every first pick
        for (int i = 0; i < 200; i++) {
            PickRequest request = PickRequest.sticky("user-" + i);
            Endpoint first = lb.pick(request);
            assertThat(first.nodeName()).contains("node-a1");
            Endpoint retry = lb.pickAvoiding(request, Set.of(first.socketAddress()));
            assertThat(retry.zone()).as("the retry of %s", request).contains("a");
            assertThat(retry).isNotEqualTo(first);
        }
    }

    @Test
    void everyReadyEndpointHintedAndOneForThisZoneKeepsCallsInTheZone() {
        balancer(threeZones());
        assertThat(zoneShares()).containsOnlyKeys("a");
        assertThat(lb.status().routing()).isEqualTo("zone a");
        assertThat(lb.status().locality()).isEqualTo("zone a, node node-a1");
    }

    @Test
    void oneReadyEndpointMissingItsHintUsesTheWholeService() {
        List<Endpoint> pods = new ArrayList<>(threeZones());
        pods.set(8, pod(3, "c"));
        balancer(pods);
        assertThat(zoneShares()).containsOnlyKeys("a", "b", "c");
        assertThat(lb.status().routing()).isEqualTo("cluster");
        assertThat(lb.status().routingReason()).isEqualTo("1 of 9 ready endpoints have no zone hint (hints are used"
                + " only when every ready endpoint has one)");
    }

    @Test
    void aNotReadyEndpointWithoutAHintDoesNotCount() {
        List<Endpoint> pods = new ArrayList<>(threeZones());
        pods.set(8, pod(3, "c").toBuilder().readiness(Readiness.NOT_READY).build());
        balancer(pods);
        assertThat(lb.status().routing()).isEqualTo("zone a");
    }

    @Test
    void noEndpointHintedForThisZoneUsesTheWholeService() {
        List<Endpoint> pods = new ArrayList<>();
        for (Endpoint e : threeZones()) {
            if (!e.zone().orElseThrow().equals("a")) {
                pods.add(e);
            }
        }
        balancer(pods);
        assertThat(zoneShares()).containsOnlyKeys("b", "c");
        assertThat(lb.status().routingReason()).isEqualTo("no ready endpoint is hinted for zone a");
    }

    @Test
    void nodeHintsOnEveryEndpointWithOneForThisNodeKeepCallsOnTheNode() {
        balancer(nodeHinted());
        assertThat(picked()).extracting(e -> e.nodeName().orElseThrow()).containsOnly("node-a1");
        assertThat(lb.status().routing()).isEqualTo("node node-a1");
    }

    @Test
    void whatANodeSpillsGoesToItsZoneFirstAndToTheOtherZonesOnlyWhenTheZoneHasNoneLeft() {
        List<Endpoint> pods = nodeHinted();
        balancer(pods);
        eject(pods.get(0)); // node-a1's only pod: the node spills all; zone a's other two carry their share
        assertThat(zoneShares()).containsOnlyKeys("a");
        assertThat(lb.status().routing()).isEqualTo("node node-a1, 100% spilled");

        eject(pods.get(1));
        eject(pods.get(2)); // zone a has no healthy pod left: the other zones take it all
        assertThat(zoneShares()).containsOnlyKeys("b", "c");
    }

    @Test
    void aShortNodeInAShortZoneKeepsItsShareAndItsZoneTakesItsSpillBeforeTheOtherZones() {
        List<Endpoint> pods = new ArrayList<>(nodeHinted());
        pods.add(pod(4, "a", "a").toBuilder().nodeName("node-a1").nodeHints(List.of("node-a1"))
                .readiness(Readiness.NOT_READY).build()); // node-a1's second pod
        balancer(pods);
        eject(pods.get(1)); // node-a2's pod: zone a off the node is short too

        // The node: 1 of 8 healthy against 2 of 10 hinted, so it keeps (1/8) / (2/10) = 62.5%. Off the node, zone
        // a has 1 of 7 healthy against 2 of 8: it takes (1/7) / (2/8) = 57% of the 37.5% spilled (21.4%), and
        // the other zones the rest (16.1%), as if the node were whole and the zone alone were short.
        Map<String, Double> nodes = shares(e -> e.nodeName().orElseThrow());
        assertThat(nodes).doesNotContainKeys("node-a2");
        assertThat(nodes.get("node-a1")).isBetween(0.605, 0.645);
        assertThat(nodes.get("node-a3")).isBetween(0.195, 0.235);
        Map<String, Double> zones = zoneShares();
        assertThat(zones.get("b") + zones.get("c")).isBetween(0.14, 0.18);
        assertThat(lb.status().routing()).isEqualTo("node node-a1, 38% spilled, 16% out of zone a");

        eject(pods.get(2)); // zone a has no healthy pod off the node: the node's spill leaves the zone
        assertThat(shares(e -> e.nodeName().orElseThrow()).get("node-a1")).isBetween(0.695, 0.735); // (1/7) / (2/10)
        assertThat(lb.status().routing()).isEqualTo("node node-a1, 29% spilled, 29% out of zone a");
    }

    @Test
    void nodeHintsForNoEndpointOfThisNodeFallBackToZoneHints() {
        List<Endpoint> pods = new ArrayList<>();
        for (Endpoint e : threeZones()) {
            pods.add(e.toBuilder().nodeHints(List.of("node-elsewhere")).build());
        }
        balancer(pods);
        assertThat(lb.status().routing()).isEqualTo("zone a");
    }

    @Test
    void withNoEndpointReadyTheTerminatingOnesServeWhereverTheyAre() {
        List<Endpoint> pods = new ArrayList<>();
        for (Endpoint e : threeZones()) {
            pods.add(e.toBuilder().readiness(Readiness.TERMINATING).build());
        }
        balancer(pods);
        assertThat(zoneShares()).containsOnlyKeys("a", "b", "c");
        assertThat(lb.status().routingReason()).isEqualTo("no endpoint is ready: the terminating ones serve, wherever"
                + " they are");
    }

    @Test
    void hintedReadyEndpointsRouteByZoneWhileTerminatingOnesWait() {
        List<Endpoint> pods = new ArrayList<>(threeZones());
        pods.add(pod(9, "a").toBuilder().readiness(Readiness.TERMINATING).build()); // unhinted, but not ready
        balancer(pods);
        assertThat(zoneShares()).containsOnlyKeys("a");
        assertThat(picked()).noneMatch(e -> e.readiness() == Readiness.TERMINATING);
    }

    @Test
    void anUnknownClientPlaceUsesTheWholeService() {
        balancer(threeZones(), TopologyPolicy.builder().locality(Locality.unknown()).build());
        assertThat(zoneShares()).containsOnlyKeys("a", "b", "c");
        assertThat(lb.status().routingReason()).startsWith("the client's zone and node are unknown");
    }

    @Test
    void aZoneShortOfHealthyPodsSpillsItsShortfallSoEveryPodCarriesAlike() {
        List<Endpoint> pods = threeZones();
        balancer(pods);
        eject(pods.get(0)); // a keeps 2 of its 3: 2 of 8 healthy against 3 of 9 expected
        Map<String, Double> shares = zoneShares();
        assertThat(shares.get("a")).isBetween(0.73, 0.77); // (2/8) / (3/9) = 75%
        assertThat(shares.get("b")).isBetween(0.105, 0.145);
        assertThat(shares.get("c")).isBetween(0.105, 0.145);
        assertThat(lb.status().routing()).isEqualTo("zone a, 25% spilled");

        eject(pods.get(1)); // 1 of 7 against 3 of 9: 43% stays
        assertThat(zoneShares().get("a")).isBetween(0.41, 0.45);
        eject(pods.get(2)); // none left in a: everything goes elsewhere
        assertThat(zoneShares()).containsOnlyKeys("b", "c");
        assertThat(lb.status().routing()).isEqualTo("zone a, 100% spilled");
    }

    @Test
    void aPodMadeNotReadyCountsAgainstItsZoneLikeAnEjection() {
        List<Endpoint> pods = new ArrayList<>(threeZones());
        StaticResolver resolver = StaticResolver.of(pods);
        lb = LoadBalancer.builder("backend").resolver(resolver).scheduler(time).picker(Pickers.sticky())
                .topology(TopologyPolicy.builder().locality(inZoneA).build()).build();
        pods.set(0, pods.get(0).toBuilder().readiness(Readiness.NOT_READY).build());
        resolver.update(pods);
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        assertThat(zoneShares().get("a")).isBetween(0.73, 0.77);
    }

    @Test
    void withoutSpillOverTheZoneKeepsEveryCallAsKubeProxyDoes() {
        List<Endpoint> pods = threeZones();
        balancer(pods, TopologyPolicy.builder().locality(inZoneA).spillOver(false).build());
        eject(pods.get(0));
        eject(pods.get(1));
        assertThat(zoneShares()).containsOnlyKeys("a");
    }

    @Test
    void aLowerThresholdToleratesAShortfall() {
        List<Endpoint> pods = threeZones();
        balancer(pods, TopologyPolicy.builder().locality(inZoneA).spillOverThreshold(0.7).build());
        eject(pods.get(0)); // 75% of the expected share: above 0.7, nothing spills
        assertThat(zoneShares()).containsOnlyKeys("a");
    }

    @Test
    void aPinReachesItsPodWhateverTheZone() {
        List<Endpoint> pods = threeZones();
        balancer(pods);
        assertThat(lb.pick(PickRequest.pinned(pods.get(5).authority()))).isEqualTo(pods.get(5));
    }

    @Test
    void overDnsZonesComeFromAddressRangesAndEachPodServesItsOwnZone() {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            pods.add(Endpoint.of("10.1.0." + i, 8080));
            pods.add(Endpoint.of("10.2.0." + i, 8080));
        }
        balancer(pods, TopologyPolicy.builder().locality(Locality.of("a", null))
                .zoneByAddress("10.1.0.0/16", "a").zoneByAddress("10.2.0.0/16", "b").build());
        assertThat(zoneShares()).containsOnlyKeys("a");
        assertThat(lb.endpoints().endpoints()).allMatch(e -> e.zone().isPresent());
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        assertThatThrownBy(() -> TopologyPolicy.builder().spillOverThreshold(0).build())
                .hasMessage("topology spillOverThreshold is 0.0; expected more than 0 and at most 1, such as 1 (the"
                        + " default) or 0.8");
        assertThatThrownBy(() -> TopologyPolicy.builder().zoneByAddress("10.1.0.0", "a"))
                .hasMessageStartingWith("address range \"10.1.0.0\" has no /prefix; expected");
        assertThatThrownBy(() -> TopologyPolicy.builder().zoneByAddress("10.1.0.1/16", "a"))
                .hasMessageStartingWith("address range \"10.1.0.1/16\" has bits set after its /16 prefix");
        assertThatThrownBy(() -> TopologyPolicy.builder().zoneByAddress("10.1.0.0/16", " "))
                .hasMessageStartingWith("zone of address range 10.1.0.0/16 is blank");
    }

    @Test
    void theEnvironmentNamesTheClientsPlace() {
        assertThat(Locality.from(Map.of("PODLB_ZONE", "eu-west-1a", "PODLB_NODE", "ip-10-0-1-7")))
                .isEqualTo(Locality.of("eu-west-1a", "ip-10-0-1-7"));
        assertThat(Locality.from(Map.of()).isUnknown()).isTrue();
    }
}
