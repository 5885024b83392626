package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerInstance;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The snapshot a set and its ejected pods make, one row per case: no load balancer, no serial
 * context, no thread. What is asked of {@link SnapshotBuilder#build} is all that varies.
 */
class SnapshotBuilderTest {
    private static final ManualScheduler TIME = new ManualScheduler();

    private static SnapshotBuilder builder(EjectionPolicy ejection, TopologyPolicy topology, WhenPinUnavailable pins) {
        LongAdder inFlight = new LongAdder();
        PickerInstance pickers = Pickers.roundRobin().newInstance(PickerContext.of("backend", TIME));
        return new SnapshotBuilder("backend", () -> "static:///test", ejection, topology, new Pinning(pins), pickers,
                () -> Pickers.roundRobin().newInstance(PickerContext.of("backend", TIME)),
                address -> new PodState(address, null, inFlight), inFlight::sum, () -> null);
    }

    private static SnapshotBuilder builder() {
        return builder(EjectionPolicy.defaults(), TopologyPolicy.disabled(), WhenPinUnavailable.FAIL);
    }

    /** {@code n} ready pods named pod-1..pod-n. */
    private static List<Endpoint> pods(int n, Readiness readiness) {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            pods.add(Endpoint.builder("10.0.0." + i, 8080).podName("pod-" + i).readiness(readiness).build());
        }
        return pods;
    }

    private static Set<InetSocketAddress> first(List<Endpoint> pods, int n) {
        Set<InetSocketAddress> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(pods.get(i).socketAddress());
        }
        return out;
    }

    /** Every endpoint {@code picks} round-robin picks reach. */
    private static Set<Endpoint> reached(Snapshot snapshot, int picks) {
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < picks; i++) {
            seen.add(snapshot.pick(PickRequest.none()));
        }
        return seen;
    }

    @ParameterizedTest(name = "{0} pods, {1} ejected: at most {2} may be, panic {3}, {4} pickable")
    @CsvSource({
            // pods, ejected, the cap of 10% (at least 1), panic below 50% healthy, pickable
            "3,  0, 1, false, 3",
            "3,  1, 1, false, 2",
            "3,  2, 1, true,  3",
            "3,  3, 1, true,  3",
            "5,  1, 1, false, 4",
            "5,  2, 1, false, 3",
            "5,  3, 1, true,  5",
            "10, 1, 1, false, 9",
            "10, 5, 1, false, 5",
            "10, 6, 1, true,  10",
            "20, 2, 2, false, 18",
            "20, 10, 2, false, 10",
            "20, 11, 2, true,  20",
    })
    void ejectionCapAndPanicByServiceSize(int size, int ejected, int cap, boolean panic, int pickable) {
        List<Endpoint> pods = pods(size, Readiness.READY);
        Snapshot snapshot = builder().build(EndpointSet.of(1, pods), first(pods, ejected));

        assertThat(EjectionPolicy.defaults().maxEjected(size)).isEqualTo(cap);
        assertThat(snapshot.panic).isEqualTo(panic);
        assertThat(snapshot.pickableCount()).isEqualTo(pickable);
        assertThat(snapshot.healthy).isEqualTo(size - ejected);
        assertThat(snapshot.ejected).isEqualTo(ejected);
        assertThat(snapshot.candidates).hasSize(size);
        assertThat(reached(snapshot, 3 * size)).hasSize(pickable);
        assertThat(snapshot.routing.describe()).isEqualTo("cluster");
    }

    @ParameterizedTest(name = "{0} ready, {1} terminating, {2} not ready: {3} candidates of readiness {4}")
    @CsvSource({
            "1, 2, 0, 1, READY",
            "0, 3, 0, 3, TERMINATING",
            "0, 2, 2, 2, TERMINATING",
            "2, 0, 2, 2, READY",
    })
    void terminatingPodsServeOnlyWhenNoneIsReady(int ready, int terminating, int notReady, int candidates,
                                                 Readiness picked) {
        List<Endpoint> pods = new ArrayList<>();
        int n = 1;
        for (Readiness r : Readiness.values()) {
            int count = r == Readiness.READY ? ready : r == Readiness.TERMINATING ? terminating : notReady;
            for (int i = 0; i < count; i++, n++) {
                pods.add(Endpoint.builder("10.0.0." + n, 8080).readiness(r).build());
            }
        }
        Snapshot snapshot = builder().build(EndpointSet.of(1, pods), Set.of());

        assertThat(snapshot.candidates).hasSize(candidates).allMatch(e -> e.readiness() == picked);
        assertThat(reached(snapshot, 20)).allMatch(e -> e.readiness() == picked).hasSize(candidates);
    }

    @Test
    void aSetWithNoCandidateFailsEveryPickAndSaysWhy() {
        Snapshot notReady = builder().build(EndpointSet.of(1, pods(2, Readiness.NOT_READY)), Set.of());
        assertThatThrownBy(() -> notReady.pick(PickRequest.none())).isInstanceOf(NoEndpointException.class)
                .hasMessage("no ready endpoint for service backend (2 known, 0 ready, 0 ejected)");
        Snapshot empty = builder().build(EndpointSet.empty(), Set.of());
        assertThatThrownBy(() -> empty.pick(PickRequest.none()))
                .hasMessageStartingWith("no endpoint discovered for service backend by static:///test");
        assertThat(empty.routing).isNull();
        assertThat(empty.panic).isFalse();
    }

    @Test
    void ejectedAddressesOutsideTheSetAreIgnored() {
        List<Endpoint> pods = pods(3, Readiness.READY);
        Set<InetSocketAddress> ejected = Set.of(new InetSocketAddress("10.9.9.9", 8080));
        Snapshot snapshot = builder().build(EndpointSet.of(1, pods), ejected);
        assertThat(snapshot.ejected).isZero();
        assertThat(snapshot.pickableCount()).isEqualTo(3);
    }

    @ParameterizedTest(name = "pin to an ejected pod, {0} when unavailable, {1} of 3 ejected: {2}")
    @CsvSource({
            "FAIL,    1, refused: ejected",
            "USE_ANY, 1, another pod",
            "FAIL,    2, the pod (panic makes it pickable)",
    })
    void pinsToEjectedPods(WhenPinUnavailable when, int ejected, String expected) {
        List<Endpoint> pods = pods(3, Readiness.READY);
        Endpoint pinned = pods.get(0);
        Snapshot snapshot = builder(EjectionPolicy.defaults(), TopologyPolicy.disabled(), when)
                .build(EndpointSet.of(1, pods), first(pods, ejected));
        PickRequest request = PickRequest.pinned("pod-1");
        if (expected.startsWith("refused")) {
            assertThatThrownBy(() -> snapshot.pick(request)).isInstanceOf(NoEndpointException.class)
                    .hasMessageContaining("pinned pod \"pod-1\" of service backend is ejected");
        } else if (expected.equals("another pod")) {
            for (int i = 0; i < 10; i++) {
                assertThat(snapshot.pick(request)).isNotEqualTo(pinned);
            }
        } else {
            assertThat(snapshot.panic).isTrue();
            assertThat(snapshot.pick(request)).isEqualTo(pinned);
        }
    }

    /** Three pods in each of zones a, b and c, each hinted for its own zone. */
    private static List<Endpoint> threeZones() {
        List<Endpoint> pods = new ArrayList<>();
        int n = 1;
        for (String zone : List.of("a", "b", "c")) {
            for (int i = 0; i < 3; i++, n++) {
                pods.add(Endpoint.builder("10.0.0." + n, 8080).zone(zone).zoneHints(List.of(zone)).build());
            }
        }
        return pods;
    }

    @ParameterizedTest(name = "client in {0}, {1} of zone a's pods ejected: routing {2}")
    @CsvSource({
            "a,       0, zone a",
            "a,       1, 'zone a, 25% spilled'",
            "a,       2, 'zone a, 57% spilled'",
            "a,       3, 'zone a, 100% spilled'",
            "unknown, 0, cluster",
            "b,       0, zone b",
    })
    void zoneRoutingFollowsTheClientsZoneAndTheHealthyShare(String zone, int ejectedInA, String routing) {
        Locality here = zone.equals("unknown") ? Locality.unknown() : Locality.of(zone, null);
        List<Endpoint> pods = threeZones();
        EjectionPolicy lenient = EjectionPolicy.builder().maxEjectionPercent(100).panicThresholdPercent(0).build();
        Snapshot snapshot = builder(lenient, TopologyPolicy.builder().locality(here).build(), WhenPinUnavailable.FAIL)
                .build(EndpointSet.of(1, pods), first(pods, ejectedInA));

        assertThat(snapshot.routing.describe()).isEqualTo(routing);
        assertThat(snapshot.panic).isFalse();
    }

    /**
     * {@link #threeZones()} with each pod on its own node n1..n9 and hinted for it, as
     * {@code PreferSameNode} hints them, and a second pod on n1 that is not ready.
     */
    private static List<Endpoint> nodeHinted() {
        List<Endpoint> pods = new ArrayList<>();
        int n = 1;
        for (Endpoint e : threeZones()) {
            pods.add(e.toBuilder().nodeName("n" + n).nodeHints(List.of("n" + n)).build());
            n++;
        }
        pods.add(Endpoint.builder("10.0.0.10", 8080).zone("a").zoneHints(List.of("a")).nodeName("n1")
                .nodeHints(List.of("n1")).readiness(Readiness.NOT_READY).build());
        return pods;
    }

    @ParameterizedTest(name = "client on n1, pods on {0} ejected: routing {1}, zones {2} reached")
    @CsvSource({
            "'',       'node n1, 44% spilled',                   a",
            "n2,       'node n1, 38% spilled, 16% out of zone a', a b c",
            "n1,       'node n1, 100% spilled',                  a",
            "n1 n2,    'node n1, 100% spilled, 43% out of zone a', a b c",
            "n1 n2 n3, 'node n1, 100% spilled, 100% out of zone a', b c",
    })
    void nodeRoutingSpillsToTheNodesZoneFirstAndOnlyTheZonesShortfallLeavesIt(String ejectedNodes, String routing,
                                                                              String zones) {
        List<Endpoint> pods = nodeHinted();
        Set<InetSocketAddress> ejected = new HashSet<>();
        for (Endpoint e : pods) {
            if (List.of(ejectedNodes.split(" ")).contains(e.nodeName().orElseThrow())) {
                ejected.add(e.socketAddress());
            }
        }
        EjectionPolicy lenient = EjectionPolicy.builder().maxEjectionPercent(100).panicThresholdPercent(0).build();
        Snapshot snapshot = builder(lenient, TopologyPolicy.builder().locality(Locality.of("a", "n1")).build(),
                WhenPinUnavailable.FAIL).build(EndpointSet.of(1, pods), ejected);

        assertThat(snapshot.routing.describe()).isEqualTo(routing);
        assertThat(reached(snapshot, 300)).extracting(e -> e.zone().orElseThrow())
                .containsOnly(zones.split(" "));
    }

    @Test
    void panicRoutesOverEveryCandidateWhereverItIs() {
        List<Endpoint> pods = threeZones();
        Snapshot snapshot = builder(EjectionPolicy.defaults(), TopologyPolicy.builder().locality(Locality.of("a", null))
                .build(), WhenPinUnavailable.FAIL).build(EndpointSet.of(1, pods), first(pods, 5));

        assertThat(snapshot.panic).isTrue();
        assertThat(snapshot.routing.describe()).isEqualTo("cluster");
        assertThat(snapshot.routing.reason()).startsWith("panic");
        assertThat(reached(snapshot, 50)).hasSize(9);
    }
}
