package dev.podlb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerBuilder;
import dev.podlb.core.QueuedExecutor;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.time.ManualScheduler;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What decides a readmitted pod's trial, and what is announced when an ejection ends: on a clock
 * the test moves, and, where the order of queued decisions matters, an executor whose queue the
 * test runs itself. No test here sleeps or starts a thread.
 */
class ReadmissionTrialTest {
    private final ManualScheduler time = new ManualScheduler();
    private final Endpoint a = Endpoint.builder("10.0.0.1", 8080).podName("a").build();
    private final Endpoint b = Endpoint.builder("10.0.0.2", 8080).podName("b").build();
    private final Endpoint c = Endpoint.builder("10.0.0.3", 8080).podName("c").build();
    private final StaticResolver pods = StaticResolver.of(a, b, c);
    private final List<String> events = new ArrayList<>();
    private LoadBalancer lb;

    private LoadBalancer build(Executor executor) {
        LoadBalancerBuilder builder = LoadBalancer.builder("backend").resolver(pods).scheduler(time)
                .listener(new HealthEvents(events, false));
        lb = (executor == null ? builder : builder.executor(executor)).build();
        return lb;
    }

    /** The pod's name; its address when the event's endpoint no longer carries what discovery said of it. */
    @AfterEach
    void close() {
        if (lb != null) {
            lb.close();
        }
    }

    private static Outcome refused() {
        return Outcome.connectFailure(new ConnectException("refused"));
    }

    private void fail(Endpoint pod, int times) {
        for (int i = 0; i < times; i++) {
            lb.report(pod, refused());
        }
    }

    /** Publishes {@code endpoints} and lets the coalescing window pass, so the set is applied. */
    private void discover(Endpoint... endpoints) {
        pods.update(List.of(endpoints));
        time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
    }

    @Test
    void aTimeoutOfACallStartedBeforeTheEjectionDoesNotEndTheTrial() {
        build(null);
        Attempt stuck = lb.start(b); // hangs on the pod while it fails
        fail(b, 5);
        time.advance(Duration.ofSeconds(30));
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");

        stuck.end(Outcome.timeout(new SocketTimeoutException("read timed out")));

        assertThat(lb.isEjected(b)).as("a stale timeout re-ejected a recovered pod").isFalse();
        assertThat(lb.stats(b).consecutiveFailures()).as("it still counts in the live figures").isEqualTo(1);
        assertThat(lb.stats(b).inFlight()).isZero();
        lb.start(b).end(Outcome.response(200));
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b", "recovered b");
    }

    @Test
    void aSuccessOfACallStartedBeforeTheEjectionDoesNotEndTheTrial() {
        build(null);
        Attempt early = lb.start(b);
        fail(b, 5);
        time.advance(Duration.ofSeconds(30));

        early.end(Outcome.response(200));

        assertThat(events).as("no call made since the readmission").containsExactly("ejected b for PT30S", "readmitted b");
        lb.start(b).end(refused());
        assertThat(lb.isEjected(b)).isTrue();
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b", "ejected b for PT1M");
    }

    @Test
    void aCallStartedWhileThePodWasEjectedDoesNotDecideItsTrial() {
        build(null);
        fail(b, 5);
        Attempt retry = lb.start(b); // a retry that tried every other pod reaches an ejected one
        time.advance(Duration.ofSeconds(30));

        retry.end(refused());

        assertThat(lb.isEjected(b)).isFalse();
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");
    }

    @Test
    void aPodFailingEveryCallIsEjectedWhateverOrderTheQueuedDecisionsRunIn() {
        QueuedExecutor executor = new QueuedExecutor();
        build(executor);
        fail(b, 5);
        executor.runAll();
        time.advance(Duration.ofSeconds(30));
        executor.runAll();
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");

        // The trial call succeeds, and five failures arrive before that decision runs.
        lb.report(b, Outcome.response(200));
        fail(b, 5);
        executor.runAll();
        assertThat(events).endsWith("recovered b");
        fail(b, 50);
        executor.runAll();

        assertThat(lb.isEjected(b)).as("a pod failing every call stayed in rotation").isTrue();
        // Ejected again at once after its readmission: no base time has forgiven its first ejection.
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b", "recovered b", "ejected b for PT1M");
    }

    @Test
    void failuresPastTheThresholdQueueOneDecisionNotOneEach() {
        QueuedExecutor executor = new QueuedExecutor();
        build(executor);
        executor.runAll();
        fail(b, 40);
        assertThat(executor.queued()).isEqualTo(1);
        executor.runAll();
        assertThat(events).containsExactly("ejected b for PT30S");
    }

    @Test
    void aPodThatLeftWhileEjectedIsNotAnnouncedAsReadmittedWhenItsTimeIsUp() {
        build(null);
        fail(b, 5);
        discover(a, c);

        time.advance(Duration.ofSeconds(30));

        assertThat(events).containsExactly("ejected b for PT30S");
        assertThat(lb.stats(b)).as("forgotten once its ejection ended").isNull();
        discover(a, b, c);
        assertThat(events).as("back later: a new pod, with no ejection to end").containsExactly("ejected b for PT30S");
    }

    @Test
    void aPodAbsentAndBackReadyIsReadmittedOnTrialWithItsHistory() {
        build(null);
        fail(b, 5);
        discover(a, c);
        discover(a, b, c);

        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");
        assertThat(lb.isEjected(b)).isFalse();
        lb.report(b, refused());
        assertThat(events).as("its trial failed: ejected again, for longer")
                .containsExactly("ejected b for PT30S", "readmitted b", "ejected b for PT1M");
    }

    @Test
    void aPodAbsentAndBackNotReadyStaysEjected() {
        build(null);
        fail(b, 5);
        discover(a, c);
        discover(a, b.toBuilder().readiness(Readiness.NOT_READY).build(), c);

        assertThat(lb.isEjected(b)).isTrue();
        assertThat(events).containsExactly("ejected b for PT30S");
        discover(a, b, c);
        assertThat(events).containsExactly("ejected b for PT30S", "readmitted b");
    }
}
