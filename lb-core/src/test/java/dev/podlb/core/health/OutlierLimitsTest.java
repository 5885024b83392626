package dev.podlb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerBuilder;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.time.ManualScheduler;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The limits that keep outlier detection from making an outage worse (the ejection cap, the panic
 * threshold) and readiness ending an ejection, on a clock the test moves.
 */
class OutlierLimitsTest {
    private final ManualScheduler time = new ManualScheduler();
    private final List<String> events = new ArrayList<>();
    /** For each readmission, whether picks could reach the pod when the listener heard of it. */
    private final List<Boolean> pickableWhenReadmitted = new ArrayList<>();
    private final List<Duration> ejectedFor = new ArrayList<>();
    private LoadBalancer lb;

    @AfterEach
    void close() {
        if (lb != null) {
            lb.close();
        }
    }

    private static List<Endpoint> pods(int n) {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            pods.add(Endpoint.builder("10.0.1." + i, 8080).podName("pod-" + i).build());
        }
        return pods;
    }

    private LoadBalancer balancer(StaticResolver pods, EjectionPolicy policy) {
        return LoadBalancer.builder("backend").resolver(pods).ejection(policy).scheduler(time)
                .listener(new LoadBalancerListener() {
                    @Override
                    public void ejected(String service, Endpoint endpoint, Duration duration) {
                        events.add("ejected " + endpoint.podName().orElseThrow());
                        ejectedFor.add(duration);
                    }

                    @Override
                    public void readmitted(String service, Endpoint endpoint) {
                        events.add("readmitted " + endpoint.podName().orElseThrow());
                        pickableWhenReadmitted.add(picked(30).contains(endpoint));
                    }
                }).build();
    }

    private void kill(Endpoint pod) {
        fail(pod, 5);
    }

    private void fail(Endpoint pod, int times) {
        for (int i = 0; i < times; i++) {
            lb.report(pod, Outcome.connectFailure(new ConnectException("refused")));
        }
    }

    private Set<Endpoint> picked(int picks) {
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < picks; i++) {
            seen.add(lb.pick());
        }
        return seen;
    }

    /**
     * Pods die one by one, each failing five times in a row. With the defaults, at most 10% of the
     * pods (and always one) are ejected; the rest stay in rotation and no panic starts, since the
     * pods not ejected stay above half.
     */
    @ParameterizedTest(name = "{0} pods: at most {1} ejected")
    @CsvSource({"3, 1", "5, 1", "10, 1", "20, 2"})
    void theDefaultsEjectAtMostTenPercentAndAlwaysOne(int size, int cap) {
        List<Endpoint> pods = pods(size);
        lb = balancer(StaticResolver.of(pods), EjectionPolicy.defaults());
        for (int dead = 1; dead <= size; dead++) {
            kill(pods.get(dead - 1));
            assertThat(lb.status().ejected()).as("%d of %d dead", dead, size).isEqualTo(Math.min(dead, cap));
            assertThat(lb.status().panic()).isFalse();
            assertThat(lb.status().pickable()).isEqualTo(size - Math.min(dead, cap));
        }
    }

    /**
     * Without the cap, ejection goes on until fewer than half of the pods are healthy: then every
     * pod is picked again, ejected or not (panic).
     */
    @ParameterizedTest(name = "{0} pods: panic once {1} are ejected")
    @CsvSource({"3, 2", "5, 3", "10, 6", "20, 11"})
    void belowHalfHealthyEveryPodIsPickedAgain(int size, int panicAt) {
        List<Endpoint> pods = pods(size);
        lb = balancer(StaticResolver.of(pods), EjectionPolicy.builder().maxEjectionPercent(100).build());
        for (int dead = 1; dead <= size; dead++) {
            kill(pods.get(dead - 1));
            boolean panic = dead >= panicAt;
            assertThat(lb.status().panic()).as("%d of %d ejected", dead, size).isEqualTo(panic);
            assertThat(lb.status().pickable()).isEqualTo(panic ? size : size - dead);
        }
        assertThat(picked(size * 4)).hasSize(size);
    }

    @Test
    void aCappedPodIsConsideredAgainWhenAnEjectionEnds() {
        List<Endpoint> pods = pods(3);
        lb = balancer(StaticResolver.of(pods), EjectionPolicy.builder().baseEjectionTime(Duration.ofSeconds(10))
                .maxEjectionTime(Duration.ofSeconds(10)).build());
        kill(pods.get(0));
        kill(pods.get(1));
        assertThat(lb.isEjected(pods.get(1))).isFalse();
        time.advance(Duration.ofSeconds(10)); // pod-1's ejection ends: room for another
        kill(pods.get(1));
        assertThat(lb.isEjected(pods.get(1))).isTrue();
        assertThat(events).containsExactly("ejected pod-1", "readmitted pod-1", "ejected pod-2");
    }

    @Test
    void aPodDiscoveryReportsReadyAgainEndsItsEjectionOnTrial() {
        List<Endpoint> pods = pods(3);
        Endpoint restarting = pods.get(1);
        StaticResolver resolver = StaticResolver.of(pods);
        lb = balancer(resolver, EjectionPolicy.defaults());
        kill(restarting);
        assertThat(lb.isEjected(restarting)).isTrue();

        resolver.update(List.of(pods.get(0), restarting.toBuilder().readiness(Readiness.NOT_READY).build(), pods.get(2)));
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        assertThat(lb.isEjected(restarting)).as("not ready: still ejected").isTrue();
        resolver.update(pods);
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);

        assertThat(lb.isEjected(restarting)).as("ready again: back on trial, long before its 30 s").isFalse();
        assertThat(events).containsExactly("ejected pod-2", "readmitted pod-2");
        assertThat(pickableWhenReadmitted).as("picks reach it once the listener hears it is readmitted").containsExactly(true);
        assertThat(picked(9)).contains(restarting);
        fail(restarting.toBuilder().build(), 1); // the trial fails at once: ejected again, for longer
        assertThat(lb.isEjected(restarting)).isTrue();
    }

    @Test
    void aTrialNoCallEndsStillForgivesTheEjectionsInARow() {
        List<Endpoint> pods = pods(3);
        lb = balancer(StaticResolver.of(pods), EjectionPolicy.defaults());
        kill(pods.get(0));
        time.advance(Duration.ofSeconds(30)); // readmitted on trial; no call reaches it for a long time
        fail(pods.get(0), 1);
        time.advance(Duration.ofSeconds(60));
        time.advance(Duration.ofMinutes(10));
        fail(pods.get(0), 1); // on trial again, its first failure ejects it: for the base time, its record forgiven
        assertThat(ejectedFor).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(30));
    }

    @Test
    void aPodThatLeftDiscoveryAndCameBackReadyEndsItsEjection() {
        List<Endpoint> pods = pods(3);
        Endpoint restarting = pods.get(2);
        StaticResolver resolver = StaticResolver.of(pods);
        lb = balancer(resolver, EjectionPolicy.defaults());
        kill(restarting);
        resolver.update(pods.subList(0, 2)); // as a DNS answer leaves out a pod that is not ready
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        resolver.update(pods);
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        assertThat(lb.isEjected(restarting)).isFalse();
        assertThat(events).containsExactly("ejected pod-3", "readmitted pod-3");
        assertThat(pickableWhenReadmitted).as("picks reach it once the listener hears it is readmitted").containsExactly(true);
        fail(restarting, 1); // it kept its state while away: on trial, one failure ejects it again
        assertThat(lb.isEjected(restarting)).isTrue();
    }

    @Test
    void rePublishingAReadyPodKeepsItsEjection() {
        List<Endpoint> pods = pods(3);
        StaticResolver resolver = StaticResolver.of(pods);
        lb = balancer(resolver, EjectionPolicy.defaults());
        kill(pods.get(0));
        resolver.update(List.of(pods.get(0), pods.get(1), pods.get(2), Endpoint.of("10.0.1.9", 8080)));
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        resolver.update(pods);
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
        assertThat(lb.isEjected(pods.get(0))).isTrue();
        assertThat(events).containsExactly("ejected pod-1");
    }

    @Test
    void badLimitsAreRefusedNamingThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EjectionPolicy.builder().maxEjectionPercent(101).build())
                .hasMessage("ejection maxEjectionPercent is 101; expected 0 to 100 (at least one pod may always be"
                        + " ejected), such as 10");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EjectionPolicy.builder().panicThresholdPercent(-1).build())
                .hasMessage("ejection panicThresholdPercent is -1; expected 0 (panic only when no pod is healthy) to"
                        + " 100, such as 50");
    }
}
