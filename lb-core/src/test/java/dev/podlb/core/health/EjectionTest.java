package dev.podlb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ejection and return, on a clock the test moves: no test here sleeps. */
class EjectionTest {
    private final ManualScheduler time = new ManualScheduler();
    private final Endpoint a = Endpoint.builder("10.0.0.1", 8080).podName("a").build();
    private final Endpoint b = Endpoint.builder("10.0.0.2", 8080).podName("b").build();
    private final Endpoint c = Endpoint.builder("10.0.0.3", 8080).podName("c").build();
    private final StaticResolver pods = StaticResolver.of(a, b, c);
    private final List<String> events = new ArrayList<>();
    private LoadBalancer lb = build(EjectionPolicy.defaults());

    private LoadBalancer build(EjectionPolicy policy) {
        if (lb != null) {
            lb.close();
        }
        return LoadBalancer.builder("backend").resolver(pods).ejection(policy).scheduler(time)
                .listener(new HealthEvents(events, true)).build();
    }

    @AfterEach
    void close() {
        lb.close();
        assertThat(time.pendingTasks()).as("scheduled work left after close").isZero();
    }

    private void fail(Endpoint e, int times) {
        for (int i = 0; i < times; i++) {
            lb.report(e, Outcome.connectFailure(new java.net.ConnectException("refused")));
        }
    }

    private Map<Endpoint, Integer> spread(int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(lb.pick(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void fiveConsecutiveFailuresEjectAndPicksAvoidThePod() {
        fail(b, 4);
        assertThat(lb.isEjected(b)).isFalse();
        fail(b, 1);
        assertThat(lb.isEjected(b)).isTrue();
        assertThat(events).containsExactly("ejected b for PT30S");
        assertThat(spread(100)).containsOnlyKeys(a, c);
    }

    @Test
    void aSuccessBetweenFailuresResetsTheCount() {
        fail(b, 4);
        lb.report(b, Outcome.response(200));
        fail(b, 4);
        assertThat(lb.isEjected(b)).isFalse();
    }

    @Test
    void afterItsEjectionThePodIsTriedAndOneSuccessBringsItBack() {
        fail(b, 5);
        time.advance(Duration.ofSeconds(29));
        assertThat(spread(30)).doesNotContainKey(b);
        time.advance(Duration.ofSeconds(1));
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");
        assertThat(spread(30)).containsKey(b);
        lb.report(b, Outcome.response(200));
        assertThat(events).endsWith("recovered b");
        fail(b, 4);
        assertThat(lb.isEjected(b)).as("healthy again: five failures in a row are needed").isFalse();
    }

    @Test
    void aFailedTrialEjectsAgainForLongerUpToTheMaximum() {
        fail(b, 5);
        List<Duration> ejections = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // The trial call fails as soon as it is readmitted: time on trial would forgive, as Envoy's does.
            long readmissions = events.stream().filter(e -> e.startsWith("readmitted")).count();
            while (events.stream().filter(e -> e.startsWith("readmitted")).count() == readmissions) {
                time.advance(Duration.ofSeconds(1));
            }
            fail(b, 1);
        }
        events.stream().filter(e -> e.startsWith("ejected")).forEach(e -> ejections.add(Duration.parse(e.substring(e.lastIndexOf(' ') + 1))));
        assertThat(ejections).startsWith(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(90))
                .endsWith(Duration.ofSeconds(300), Duration.ofSeconds(300));
    }

    @Test
    void timeSpentHealthyShortensTheNextEjection() {
        fail(b, 5);
        time.advance(Duration.ofSeconds(30));
        fail(b, 1);
        time.advance(Duration.ofSeconds(60));
        lb.report(b, Outcome.response(200));
        assertThat(events).endsWith("ejected b for PT1M", "readmitted b", "recovered b");
        time.advance(Duration.ofSeconds(30)); // one base period healthy: one ejection forgiven
        fail(b, 5);
        assertThat(events).endsWith("ejected b for PT1M");
        time.advance(Duration.ofSeconds(60));
        lb.report(b, Outcome.response(200));
        time.advance(Duration.ofMinutes(10)); // long healthy: back to the base time
        fail(b, 5);
        assertThat(events).endsWith("ejected b for PT30S");
    }

    @Test
    void ejectionSurvivesReResolutionOfTheSamePod() {
        fail(b, 5);
        pods.update(List.of(a, b, c, Endpoint.of("10.0.0.4", 8080)));
        pods.update(List.of(c, b, a));
        assertThat(lb.isEjected(b)).isTrue();
        assertThat(spread(60)).containsOnlyKeys(a, c);
    }

    @Test
    void withTheDefaultsASecondDeadPodOfThreeStaysInRotation() {
        fail(a, 5);
        fail(c, 5);
        assertThat(lb.isEjected(a)).isTrue();
        assertThat(lb.isEjected(c)).as("at most 10% of 3 pods, and always one, may be ejected").isFalse();
        assertThat(spread(50)).containsOnlyKeys(b, c);
        assertThat(lb.status().panic()).isFalse();
    }

    @Test
    void withoutTheLimitsThreePodsWithTwoDeadSendEverythingToTheLiveOne() {
        lb = build(EjectionPolicy.builder().maxEjectionPercent(100).panicThresholdPercent(0).build());
        fail(a, 5);
        fail(c, 5);
        assertThat(spread(50)).containsOnlyKeys(b);
        assertThat(lb.status().panic()).isFalse();
    }

    @Test
    void belowThePanicThresholdCallsSpreadOverAllPodsVisibly() {
        lb = build(EjectionPolicy.builder().maxEjectionPercent(100).build());
        fail(a, 5);
        assertThat(lb.status().panic()).as("2 of 3 healthy is above 50%").isFalse();
        fail(b, 5);
        assertThat(lb.status().panic()).as("1 of 3 healthy is below 50%").isTrue();
        assertThat(lb.status().ejected()).isEqualTo(2);
        assertThat(events).endsWith("panic");
        assertThat(spread(30)).containsOnlyKeys(a, b, c);
        fail(c, 5);
        assertThat(lb.status().ejected()).isEqualTo(3);
        time.advance(Duration.ofSeconds(30));
        assertThat(lb.status().panic()).isFalse();
        assertThat(events).contains("panic over");
    }

    @Test
    void onlyTheConfiguredOutcomesCountAsFailures() {
        lb = build(EjectionPolicy.builder().consecutiveFailures(3)
                .failureClassifier(FailureClassifier.connectFailures().or(FailureClassifier.gatewayErrors())).build());
        for (int i = 0; i < 10; i++) {
            lb.report(b, Outcome.response(500));
            lb.report(b, Outcome.timeout(new java.net.SocketTimeoutException()));
        }
        assertThat(lb.isEjected(b)).isFalse();
        lb.report(b, Outcome.response(503));
        lb.report(b, Outcome.response(502));
        lb.report(b, Outcome.connectFailure(new java.net.ConnectException()));
        assertThat(lb.isEjected(b)).isTrue();
    }

    @Test
    void aFailureRateOverTheWindowEjects() {
        lb = build(EjectionPolicy.builder().consecutiveFailures(0).failureRate(50, 10, 10).build());
        for (int i = 0; i < 9; i++) {
            lb.report(b, i % 2 == 0 ? Outcome.response(503) : Outcome.response(200));
        }
        assertThat(lb.isEjected(b)).isFalse();
        lb.report(b, Outcome.response(503));
        assertThat(lb.isEjected(b)).isTrue();
    }

    @Test
    void disabledEjectionNeverEjects() {
        lb = build(EjectionPolicy.disabled());
        fail(b, 100);
        assertThat(lb.isEjected(b)).isFalse();
    }

    @Test
    void aPodThatLeftWhileEjectedIsForgottenWhenItsEjectionEnds() {
        fail(b, 5);
        pods.update(List.of(a, c));
        time.advance(Duration.ofSeconds(30));
        pods.update(List.of(a, b, c));
        assertThat(lb.isEjected(b)).isFalse();
        Set<Endpoint> seen = new HashSet<>(spread(30).keySet());
        assertThat(seen).contains(b);
    }

    @Test
    void aPodKeepsItsFailuresAcrossSetsWhetherDiscoveryHandsTheSameEndpointOrANewOneForItsAddress() {
        fail(b, 2);
        pods.update(List.of(a, b, c, Endpoint.of("10.0.0.4", 8080))); // b the same object
        time.advance(Duration.ofSeconds(1)); // past the load balancer's batching of sets
        assertThat(lb.endpoints().size()).isEqualTo(4);
        fail(b, 2);
        Endpoint movedB = b.toBuilder().zone("z2").build(); // a new object, the same pod
        pods.update(List.of(a, movedB, c));
        time.advance(Duration.ofSeconds(1));
        assertThat(lb.endpoints().find(b.socketAddress())).isSameAs(movedB);
        assertThat(lb.isEjected(b)).isFalse();
        fail(b, 1);
        assertThat(lb.isEjected(b)).as("2 + 2 + 1 failures in a row").isTrue();
    }

    @Test
    void aPodThatLeftWhileHealthyIsForgottenAndComesBackWithNoHistory() {
        fail(c, 4);
        pods.update(List.of(a, b, Endpoint.of("10.0.0.4", 8080))); // c left; as many pods as before
        time.advance(Duration.ofSeconds(1)); // past the load balancer's batching of sets
        assertThat(lb.endpoints().contains(c)).as("the set without c applied").isFalse();
        pods.update(List.of(a, b, c));
        time.advance(Duration.ofSeconds(1));
        assertThat(lb.endpoints().contains(c)).isTrue();
        fail(c, 4);
        assertThat(lb.isEjected(c)).as("its 4 failures before it left are forgotten").isFalse();
        fail(c, 1);
        assertThat(lb.isEjected(c)).isTrue();
    }

    @Test
    void aPodThatStaysKeepsItsFailuresWhileAnotherLeaves() {
        fail(a, 4);
        pods.update(List.of(a, b, Endpoint.of("10.0.0.4", 8080))); // c left; a the same object
        time.advance(Duration.ofSeconds(1));
        assertThat(lb.endpoints().contains(c)).as("the set without c applied").isFalse();
        fail(a, 1);
        assertThat(lb.isEjected(a)).as("4 + 1 failures in a row").isTrue();
    }
}
