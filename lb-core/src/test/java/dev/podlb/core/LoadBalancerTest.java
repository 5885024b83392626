package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Readiness, errors and the life cycle of a load balancer. */
class LoadBalancerTest {
    private final Endpoint a = Endpoint.builder("10.0.0.1", 8080).podName("backend-a").build();
    private final Endpoint b = Endpoint.builder("10.0.0.2", 8080).podName("backend-b").build();
    private final Endpoint c = Endpoint.builder("10.0.0.3", 8080).podName("backend-c").build();

    private final ManualScheduler time = new ManualScheduler();

    private static Set<Endpoint> picks(LoadBalancer lb, int n) {
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(lb.pick());
        }
        return seen;
    }

    @Test
    void aStaticTargetIsBalancedOverAllItsAddresses() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").target("static:///10.0.0.1:8080, 10.0.0.2:8080").build()) {
            assertThat(picks(lb, 10)).extracting(Endpoint::authority).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
        }
    }

    @Test
    void notReadyEndpointsAreNeverPicked() {
        StaticResolver pods = StaticResolver.of(a, b.toBuilder().readiness(Readiness.NOT_READY).build(), c);
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).build()) {
            assertThat(picks(lb, 30)).containsExactlyInAnyOrder(a, c);
        }
    }

    @Test
    void terminatingEndpointsServeOnlyWhenNoneIsReady() {
        Endpoint draining = b.toBuilder().readiness(Readiness.TERMINATING).build();
        StaticResolver pods = StaticResolver.of(a, draining);
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).scheduler(time).build()) {
            assertThat(picks(lb, 20)).containsExactly(a);
            pods.update(List.of(a.toBuilder().readiness(Readiness.NOT_READY).build(), draining));
            time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
            assertThat(picks(lb, 20)).containsExactly(draining);
        }
    }

    @Test
    void noReadyEndpointFailsWithTheCounts() {
        StaticResolver pods = StaticResolver.of(a.toBuilder().readiness(Readiness.NOT_READY).build(),
                b.toBuilder().readiness(Readiness.NOT_READY).build());
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).build()) {
            assertThatThrownBy(lb::pick).isInstanceOfSatisfying(NoEndpointException.class, e -> {
                assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NONE_READY);
                assertThat(e.service()).isEqualTo("backend");
            }).hasMessage("no ready endpoint for service backend (2 known, 0 ready, 0 ejected)");
        }
    }

    @Test
    void anEmptySetFailsNamingTheResolver() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(List.of())).build()) {
            assertThatThrownBy(lb::pick).isInstanceOf(NoEndpointException.class)
                    .hasMessage("no endpoint discovered for service backend by static (0 known, 0 ready, 0 ejected)");
        }
    }

    @Test
    void beforeTheFirstSetPicksFailSayingDiscoveryHasNotAnswered() {
        UnresolvedResolver silent = new UnresolvedResolver();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(silent).scheduler(time).build()) {
            assertThatThrownBy(lb::pick).isInstanceOfSatisfying(NoEndpointException.class,
                            e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.NOT_RESOLVED))
                    .hasMessage("no endpoint for service backend yet: silent has not resolved (0 known, 0 ready, 0 ejected)");
            silent.fail(new IOException("SERVFAIL"));
            assertThatThrownBy(lb::pick).hasMessageContaining("(last error: java.io.IOException: SERVFAIL)");
            assertThat(lb.status().lastResolutionError()).hasMessage("SERVFAIL");
        }
    }

    @Test
    void aSetEqualToTheCurrentOneIsDropped() {
        StaticResolver pods = StaticResolver.of(a, b);
        List<EndpointSet> seen = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).scheduler(time)
                .listener(new LoadBalancerListener() {
                    @Override
                    public void endpointsChanged(String service, EndpointSet set) {
                        seen.add(set);
                    }
                }).build()) {
            pods.update(List.of(b, a));
            pods.update(List.of(a, b, b));
            time.advance(Duration.ofSeconds(1));
            assertThat(seen).hasSize(1);
            pods.update(List.of(a, b, c));
            assertThat(seen).hasSize(2);
            assertThat(lb.endpoints().version()).isEqualTo(2);
        }
    }

    @Test
    void everyResolutionIsHeardWhetherItChangedTheSetOrNot() {
        StaticResolver pods = StaticResolver.of(a, b);
        List<Boolean> resolutions = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).scheduler(time)
                .listener(new LoadBalancerListener() {
                    @Override
                    public void resolved(String service, boolean changed) {
                        resolutions.add(changed);
                    }
                }).build()) {
            pods.update(List.of(b, a));
            pods.update(List.of(a, b, c));
            assertThat(resolutions).containsExactly(true, false, true);
        }
    }

    @Test
    void afterCloseAPickFailsAndTheResolverOwnedByTheApplicationStaysOpen() {
        StaticResolver pods = StaticResolver.of(a);
        LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).build();
        lb.close();
        assertThatThrownBy(lb::pick).isInstanceOfSatisfying(NoEndpointException.class,
                        e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.CLOSED))
                .hasMessage("load balancer for service backend is closed (0 known, 0 ready, 0 ejected)");
        assertThatThrownBy(() -> lb.pickAvoiding(PickRequest.none(), Set.of(a.socketAddress())))
                .isInstanceOf(NoEndpointException.class);
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofSeconds(1))).isInstanceOfSatisfying(NoEndpointException.class,
                e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.CLOSED));
        assertThat(lb.status().closed()).isTrue();
        try (LoadBalancer again = LoadBalancer.builder("backend").resolver(pods).build()) {
            assertThat(again.pick()).isEqualTo(a);
        }
    }

    @Test
    void aUserPickerThatReturnsNothingFailsClearly() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(a))
                .picker(PickerPolicy.of(pickable -> request -> null)).build()) {
            assertThatThrownBy(lb::pick).isInstanceOfSatisfying(NoEndpointException.class,
                    e -> assertThat(e.reason()).isEqualTo(NoEndpointException.Reason.PICKER_FAILED))
                    .hasMessageContaining("returned no endpoint");
        }
    }

    @Test
    void aUserPickerReceivesOnlyPickableEndpoints() {
        List<Integer> sizes = new ArrayList<>();
        StaticResolver pods = StaticResolver.of(a, b.toBuilder().readiness(Readiness.NOT_READY).build());
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).picker(PickerPolicy.of(pickable -> {
            sizes.add(pickable.endpoints().size());
            Endpoint first = pickable.endpoints().get(0);
            return request -> first;
        })).build()) {
            assertThat(lb.pick()).isEqualTo(a);
            assertThat(sizes).containsExactly(1);
        }
    }

    @Test
    void pinsAreHonouredWhateverThePicker() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(a, b, c))
                .picker(Pickers.sticky()).build()) {
            for (int i = 0; i < 5; i++) {
                assertThat(lb.pick(PickRequest.pinned("backend-b"))).isEqualTo(b);
            }
            assertThatThrownBy(() -> lb.pick(PickRequest.pinned("10.1.1.1:8080")))
                    .isInstanceOf(NoEndpointException.class).hasMessageContaining("is not an endpoint of service backend");
        }
    }

    @Test
    void aRetryTriesEveryCandidateBeforeRepeatingOneAndEjectedOnesLast() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(a, b, c)).scheduler(time)
                .build()) {
            for (int i = 0; i < 5; i++) {
                lb.report(b, dev.podlb.core.health.Outcome.connectFailure(new java.net.ConnectException("refused")));
            }
            assertThat(lb.isEjected(b)).isTrue();
            for (int i = 0; i < 10; i++) {
                assertThat(lb.pickAvoiding(PickRequest.none(), Set.of(a.socketAddress()))).isEqualTo(c);
                assertThat(lb.pickAvoiding(PickRequest.none(), Set.of(a.socketAddress(), c.socketAddress())))
                        .as("the ejected pod, before trying a or c again").isEqualTo(b);
                assertThat(lb.pickAvoiding(PickRequest.none(), Set.of(a.socketAddress(), b.socketAddress(),
                        c.socketAddress()))).as("all tried: the picker's choice").isIn(a, c);
            }
        }
    }

    @Test
    void theRetriesOfStickyRequestsSpreadOverTheOtherPods() {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            pods.add(Endpoint.of("10.0.2." + i, 8080));
        }
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time)
                .picker(Pickers.sticky()).build()) {
            java.util.Map<Endpoint, Integer> retriedOn = new java.util.HashMap<>();
            int keys = 2_000;
            for (int i = 0; i < keys; i++) {
                PickRequest request = PickRequest.sticky("user-" + i);
                Endpoint first = lb.pick(request);
                Endpoint retry = lb.pickAvoiding(request, Set.of(first.socketAddress()));
                assertThat(retry).isNotEqualTo(first);
                retriedOn.merge(retry, 1, Integer::sum);
            }
            // Each pod's fair share is a tenth; with the first fallback of every key on one pod, one took over half.
            assertThat(retriedOn).hasSize(10);
            assertThat(retriedOn.values()).allMatch(n -> n < keys / 5);
        }
    }

    @Test
    void aRetryOfAPinnedRequestKeepsItsPod() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(a, b, c)).build()) {
            assertThat(lb.pickAvoiding(PickRequest.pinned("backend-b"), Set.of(b.socketAddress()))).isEqualTo(b);
        }
    }

    @Test
    void aLoadBalancerThatFailsToStartReleasesItsResolver() {
        Discovery discovery = Discovery.builder().kubernetes(target -> new PublishingResolver() {
            @Override
            public Subscription subscribe(Listener listener) {
                throw new IllegalStateException("subscription refused");
            }

            @Override
            public String describe() {
                return "refusing";
            }

            @Override
            public void close() {}
        }).build();
        assertThatThrownBy(() -> LoadBalancer.builder("backend").target("k8s:///backend.default:http")
                .discovery(discovery).build()).hasMessage("subscription refused");
        assertThat(discovery.openResolvers()).isZero();
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        assertThatThrownBy(() -> LoadBalancer.builder(" ").target("static:///10.0.0.1:80").build())
                .hasMessage("load balancer service name is blank; expected the name of the service, such as backend");
        assertThatThrownBy(() -> LoadBalancer.builder("backend").build())
                .hasMessageStartingWith("load balancer for service backend has neither a target nor a resolver; expected exactly one");
        assertThatThrownBy(() -> LoadBalancer.builder("backend").target("static:///10.0.0.1:80")
                .resolver(StaticResolver.of(a)).build())
                .hasMessageStartingWith("load balancer for service backend has both a target and a resolver");
        assertThatThrownBy(() -> LoadBalancer.builder("backend").target("static:///10.0.0.1:80").scheduler(null).build())
                .hasMessage("load balancer for service backend: scheduler is null");
    }

    @Test
    void statusTellsAnOperatorTheCounts() {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(a,
                b.toBuilder().readiness(Readiness.TERMINATING).build())).build()) {
            assertThat(lb.status().toString())
                    .isEqualTo("service backend (static): v1, 2 known, 1 ready, 1 terminating, 0 ejected, 1 pickable");
        }
    }

    /** A resolver that never answers, and fails when told. */
    private static final class UnresolvedResolver extends PublishingResolver {
        void fail(Throwable error) {
            publishError(error);
        }

        @Override
        public String describe() {
            return "silent";
        }

        @Override
        public void close() {}
    }
}
