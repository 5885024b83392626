package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.time.ManualScheduler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PinningTest {
    private final Endpoint pod0 = Endpoint.builder("10.0.0.1", 8080).podName("backend-0").build();
    private final Endpoint pod1 = Endpoint.builder("10.0.0.2", 8080).podName("backend-1").build();
    private final Endpoint pod2v4 = Endpoint.builder("10.0.0.3", 8080).podName("backend-2").build();
    private final Endpoint pod2v6 = Endpoint.builder("fd00::3", 8080).podName("backend-2").build();
    private final EndpointSet set = EndpointSet.of(1, List.of(pod0, pod1, pod2v4, pod2v6));

    private Picker picker(WhenPinUnavailable when, Set<Endpoint> ejected) {
        List<Endpoint> pickable = set.endpoints().stream().filter(e -> !ejected.contains(e)).toList();
        Set<InetSocketAddress> ejectedAddresses = ejected.stream().map(Endpoint::socketAddress)
                .collect(Collectors.toSet());
        return pinningOver(Pickers.roundRobin(), when, pickable(set, pickable, ejectedAddresses));
    }

    /** {@code pickable} of {@code set}, the {@code ejected} ones out, as a load balancer hands them. */
    private static PickableEndpoints pickable(EndpointSet set, List<Endpoint> pickable, Set<InetSocketAddress> ejected) {
        return new PickableView("backend", set, pickable, ejected, false, address -> null, () -> 0);
    }

    /** {@code n} ready endpoints 10.0.x.y:8080, numbered from 1. */
    private static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            list.add(Endpoint.of("10.0." + (i >> 8) + "." + (i & 0xFF), 8080));
        }
        return list;
    }

    /** Pinning before a normal picker, as a load balancer applies it. */
    private static Picker pinningOver(PickerPolicy policy, WhenPinUnavailable when, PickableEndpoints pickable) {
        Picker normal = policy.newInstance(PickerContext.of("backend", new ManualScheduler())).newPicker(pickable);
        Pinning pinning = new Pinning(when);
        return request -> request.pin() == null ? normal.pick(request) : pinning.pick(request, pickable, normal);
    }

    @Test
    void aPinByPodNameReachesThatPodOnly() {
        Picker picker = picker(WhenPinUnavailable.FAIL, Set.of());
        for (int i = 0; i < 10; i++) {
            assertThat(picker.pick(PickRequest.pinned("backend-1"))).isEqualTo(pod1);
        }
    }

    @Test
    void aPinByAddressAndPortOrBareAddressReachesThatPod() {
        Picker picker = picker(WhenPinUnavailable.FAIL, Set.of());
        assertThat(picker.pick(PickRequest.pinned("10.0.0.2:8080"))).isEqualTo(pod1);
        assertThat(picker.pick(PickRequest.pinned("10.0.0.2"))).isEqualTo(pod1);
        assertThat(picker.pick(PickRequest.pinned("[fd00:0:0:0:0:0:0:3]:8080"))).isEqualTo(pod2v6);
    }

    @Test
    void aDualStackPodIsReachedOnWhicheverAddressIsPickable() {
        assertThat(picker(WhenPinUnavailable.FAIL, Set.of(pod2v4)).pick(PickRequest.pinned("backend-2"))).isEqualTo(pod2v6);
    }

    @Test
    void anAddressDiscoveryDidNotReturnIsNeverUsed() {
        Picker picker = picker(WhenPinUnavailable.FAIL, Set.of());
        for (String forged : List.of("10.0.0.9:8080", "10.0.0.1:9999", "169.254.169.254:80", "evil.example.com:80",
                "10.0.0.1:8080/x", "[::1]:8080", "backend-9")) {
            assertThatThrownBy(() -> picker.pick(PickRequest.pinned(forged)))
                    .isInstanceOfSatisfying(NoEndpointException.class,
                            e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.PINNED_NOT_FOUND))
                    .hasMessageContaining("pinned pod \"" + forged + "\" is not an endpoint of service backend")
                    .hasMessageContaining("(4 known, 4 ready, 0 ejected)");
        }
    }

    @Test
    void aPinToAnEjectedPodFailsSayingSo() {
        assertThatThrownBy(() -> picker(WhenPinUnavailable.FAIL, Set.of(pod1)).pick(PickRequest.pinned("backend-1")))
                .isInstanceOfSatisfying(NoEndpointException.class,
                        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.PINNED_UNAVAILABLE))
                .hasMessage("pinned pod \"backend-1\" of service backend is ejected (4 known, 4 ready, 1 ejected)");
    }

    @Test
    void withNoPodEjectedAPinToAPodThatIsNotACandidateFailsSayingWhy() {
        Endpoint terminating = Endpoint.builder("10.0.0.4", 8080).podName("backend-4").readiness(Readiness.TERMINATING).build();
        Endpoint notReady = Endpoint.builder("10.0.0.5", 8080).podName("backend-5").readiness(Readiness.NOT_READY).build();
        EndpointSet mixed = EndpointSet.of(1, List.of(pod0, terminating, notReady));
        // As a load balancer hands them with no pod ejected: the set's own candidates list.
        PickableEndpoints pickable = pickable(mixed, mixed.candidates(), Set.of());
        assertThat(pickable.pickable(pod0.socketAddress())).isSameAs(pod0);
        assertThat(pickable.pickable(terminating.socketAddress())).isNull();
        assertThat(pickable.pickable(notReady.socketAddress())).isNull();
        Picker picker = pinningOver(Pickers.roundRobin(), WhenPinUnavailable.FAIL, pickable);
        assertThat(picker.pick(PickRequest.pinned("backend-0"))).isSameAs(pod0);
        assertThatThrownBy(() -> picker.pick(PickRequest.pinned("backend-4")))
                .isInstanceOfSatisfying(NoEndpointException.class,
                        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.PINNED_UNAVAILABLE))
                .hasMessageStartingWith("pinned pod \"backend-4\" of service backend is terminating");
        assertThatThrownBy(() -> picker.pick(PickRequest.pinned("10.0.0.5:8080")))
                .hasMessageStartingWith("pinned pod \"10.0.0.5:8080\" of service backend is not ready");
    }

    @Test
    void anUnavailablePinFallsBackToTheNormalPickerWhenConfigured() {
        Picker picker = picker(WhenPinUnavailable.USE_ANY, Set.of(pod1));
        for (int i = 0; i < 20; i++) {
            assertThat(picker.pick(PickRequest.pinned("backend-1"))).isNotEqualTo(pod1).isIn(set.endpoints());
            assertThat(picker.pick(PickRequest.pinned("10.9.9.9:80"))).isNotEqualTo(pod1).isIn(set.endpoints());
        }
    }

    @Test
    void pinningComposesOverSticky() {
        List<Endpoint> many = endpoints(20);
        EndpointSet manySet = EndpointSet.of(1, many);
        Picker picker = pinningOver(Pickers.sticky(), WhenPinUnavailable.FAIL,
                pickable(manySet, manySet.endpoints(), Set.of()));
        Endpoint sticky = picker.pick(PickRequest.sticky("session-42"));
        assertThat(picker.pick(PickRequest.sticky("session-42"))).isEqualTo(sticky);
        Endpoint other = many.stream().filter(e -> !e.equals(sticky)).findFirst().orElseThrow();
        assertThat(picker.pick(PickRequest.builder().stickyKey("session-42").pin(other.authority()).build()))
                .isEqualTo(other);
    }
}
