package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointSetTest {
    private final Endpoint a = Endpoint.builder("10.0.0.1", 8080).podName("backend-a").zone("z1").build();
    private final Endpoint b = Endpoint.builder("10.0.0.2", 8080).podName("backend-b").build();
    private final Endpoint b6 = Endpoint.builder("fd00::2", 8080).podName("backend-b").build();

    @Test
    void endpointsAreOrderedByAddressThenPortWhateverTheInputOrder() {
        Endpoint a9090 = Endpoint.of("10.0.0.1", 9090);
        assertThat(EndpointSet.of(1, List.of(b6, b, a9090, a)).endpoints()).containsExactly(a, a9090, b, b6);
    }

    @Test
    void setsWithTheSameEndpointsAreEqualWhateverTheirVersion() {
        assertThat(EndpointSet.of(1, List.of(a, b))).isEqualTo(EndpointSet.of(7, List.of(b, a)));
        assertThat(EndpointSet.of(1, List.of(a, b)))
                .isNotEqualTo(EndpointSet.of(1, List.of(a, b.toBuilder().readiness(Readiness.NOT_READY).build())));
    }

    @Test
    void aDuplicateAddressIsOnePodAndTheReadierReportWins() {
        Endpoint notReady = a.toBuilder().readiness(Readiness.NOT_READY).build();
        EndpointSet set = EndpointSet.of(1, List.of(notReady, b, a));
        assertThat(set.endpoints()).containsExactly(a, b);
    }

    @Test
    void lookupFindsByPodNameAddressAndPortOrAddress() {
        EndpointSet set = EndpointSet.of(1, List.of(a, b, b6));
        assertThat(set.lookup("backend-a")).containsExactly(a);
        assertThat(set.lookup("backend-b")).containsExactly(b, b6);
        assertThat(set.lookup("10.0.0.2:8080")).containsExactly(b);
        assertThat(set.lookup("[fd00::2]:8080")).containsExactly(b6);
        assertThat(set.lookup("fd00::2")).containsExactly(b6);
        assertThat(set.lookup("10.0.0.1")).containsExactly(a);
        assertThat(set.lookup("10.0.0.1:9090")).isEmpty();
        assertThat(set.lookup("localhost:8080")).isEmpty();
        assertThat(set.lookup("010.0.0.1:8080")).isEmpty();
        assertThat(set.find(a.socketAddress())).isEqualTo(a);
    }

    @Test
    void countsAndDescriptionTellTheState() {
        EndpointSet set = EndpointSet.of(3, List.of(a, b.toBuilder().readiness(Readiness.TERMINATING).build(),
                b6.toBuilder().readiness(Readiness.NOT_READY).build()));
        assertThat(set.toString()).isEqualTo("EndpointSet{v3, 3 endpoints: 1 ready, 1 terminating, 1 not ready}");
        assertThat(a.toString()).isEqualTo("10.0.0.1:8080 (pod backend-a, zone z1, READY)");
    }

    @Test
    void anEndpointRefusesHostNamesAndBadPortsAndWeights() {
        assertThatThrownBy(() -> Endpoint.of("backend.default.svc", 80)).hasMessage("endpoint address "
                + "\"backend.default.svc\" is not an IP address; expected an IPv4 or IPv6 literal such as 10.0.0.1 or fd00::1");
        assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 70000))
                .hasMessage("endpoint port 70000 is out of range; expected 1 to 65535");
        assertThatThrownBy(() -> Endpoint.builder("10.0.0.1", 80).weight(-1))
                .hasMessage("endpoint weight -1 is out of range; expected 0 to 65535");
    }

    @Test
    void identityHashIsFixedForAnAddressSoEveryReplicaAgrees() {
        assertThat(Endpoint.of("10.0.0.1", 8080).identityHash()).isEqualTo(a.identityHash())
                .isNotEqualTo(Endpoint.of("10.0.0.1", 8081).identityHash());
        // Pinned: a change here would move every sticky session when clients are upgraded.
        assertThat(Endpoint.of("10.0.0.1", 8080).identityHash()).isEqualTo(IDENTITY_OF_10_0_0_1_8080);
    }

    @Test
    void candidatesAreTheReadyEndpointsOrWithNoneReadyTheTerminatingOnes() {
        Endpoint one = Endpoint.of("10.0.0.1", 8080);
        Endpoint draining = Endpoint.builder("10.0.0.2", 8080).readiness(Readiness.TERMINATING).build();
        Endpoint starting = Endpoint.builder("10.0.0.3", 8080).readiness(Readiness.NOT_READY).build();

        EndpointSet mixed = EndpointSet.of(one, draining, starting);
        assertThat(mixed.candidates()).containsExactly(one);
        assertThat(mixed.isCandidate(draining.socketAddress())).isFalse();

        EndpointSet noneReady = EndpointSet.of(draining, starting);
        assertThat(noneReady.candidates()).containsExactly(draining);
        assertThat(noneReady.isCandidate(draining.socketAddress())).isTrue();
        assertThat(noneReady.isCandidate(starting.socketAddress())).isFalse();
        assertThat(noneReady.isCandidate(one.socketAddress())).as("not in the set").isFalse();
        assertThat(EndpointSet.of(starting).candidates()).isEmpty();
    }

    private static final long IDENTITY_OF_10_0_0_1_8080 = -53913873019928018L;

    /**
     * Against the rule written out plainly (one endpoint per address and port, the readier, else
     * the first given; ordered by the address's bytes unsigned, then port), over seeded random
     * sets with duplicates: IPv4 across the whole address space, and IPv4 mixed with IPv6.
     */
    @Test
    void ofKeepsTheReadierOfDuplicatesAndOrdersByAddressThenPortOverRandomSets() {
        java.util.Random random = new java.util.Random(23);
        Readiness[] readiness = Readiness.values();
        for (int round = 0; round < 300; round++) {
            int n = 1 + random.nextInt(round < 150 ? 40 : 3_000);
            List<Endpoint> given = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int pick = random.nextInt(n / 2 + 1); // about half the addresses repeat
                String address = round % 3 == 2 && pick % 4 == 0 ? "fd00::" + Integer.toHexString(pick)
                        : (pick * 37 % 256) + "." + (pick % 3) + ".0." + (pick % 251);
                given.add(Endpoint.builder(address, 8080 + pick % 3).podName("p" + i)
                        .readiness(readiness[random.nextInt(readiness.length)]).build());
            }
            java.util.Map<java.net.InetSocketAddress, Endpoint> unique = new java.util.LinkedHashMap<>();
            for (Endpoint e : given) {
                unique.merge(e.socketAddress(), e, (first, later) -> later.readiness().compareTo(first.readiness()) < 0 ? later : first);
            }
            List<Endpoint> expected = new java.util.ArrayList<>(unique.values());
            expected.sort((x, y) -> {
                byte[] p = x.address().getAddress();
                byte[] q = y.address().getAddress();
                int c = p.length != q.length ? Integer.compare(p.length, q.length) : java.util.Arrays.compareUnsigned(p, q);
                return c != 0 ? c : Integer.compare(x.port(), y.port());
            });
            List<Endpoint> got = EndpointSet.of(round, given).endpoints();
            assertThat(got).as("round %d, %d endpoints given", round, n).hasSameSizeAs(expected);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i)).as("round %d, position %d", round, i).isSameAs(expected.get(i));
            }
        }
    }
}
