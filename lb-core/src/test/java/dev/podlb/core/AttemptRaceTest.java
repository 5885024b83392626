package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.PickerPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An attempt ends once however many threads end or cancel it at the same moment (a hedge's
 * response and its cancel race so): it leaves the pod's and the load balancer's count of requests
 * in flight exactly once, whichever live figures the load balancer keeps.
 */
class AttemptRaceTest {
    private static final int ATTEMPTS = 20_000;

    private final List<Endpoint> pods = List.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));

    @Test
    @Timeout(30)
    void anAttemptEndedAndCancelledAtOnceLeavesTheCountsOnceWithRoundRobin() throws Exception {
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods))
                .ejection(EjectionPolicy.disabled()).build()) {
            race(lb);
            assertThat(lb.stats(pods.get(0)).inFlight()).isZero();
            assertThat(lb.stats(pods.get(1)).inFlight()).isZero();
        }
    }

    @Test
    @Timeout(30)
    void anAttemptEndedAndCancelledAtOnceLeavesTheCountsOnceWithEveryFigureKept() throws Exception {
        AtomicReference<PickableEndpoints> seen = new AtomicReference<>();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods))
                .ejection(EjectionPolicy.disabled()).picker(PickerPolicy.of(pickable -> {
                    seen.set(pickable);
                    return request -> pickable.endpoints().get(0);
                })).build()) {
            race(lb);
            assertThat(lb.stats(pods.get(0)).inFlight()).isZero();
            assertThat(lb.stats(pods.get(1)).inFlight()).isZero();
            assertThat(seen.get().inFlight()).as("the load balancer's total").isZero();
        }
    }

    /** Starts {@value #ATTEMPTS} attempts, then ends each on one thread while another cancels it. */
    private void race(LoadBalancer lb) throws InterruptedException {
        List<Attempt> attempts = new ArrayList<>(ATTEMPTS);
        for (int i = 0; i < ATTEMPTS; i++) {
            attempts.add(lb.start(pods.get(i & 1)));
        }
        assertThat(lb.stats(pods.get(0)).inFlight()).as("the race has something to race over").isEqualTo(ATTEMPTS / 2);
        CountDownLatch go = new CountDownLatch(1);
        Thread ender = new Thread(() -> {
            await(go);
            attempts.forEach(a -> a.end(Outcome.response(503)));
        }, "ender");
        Thread canceller = new Thread(() -> {
            await(go);
            attempts.forEach(Attempt::cancel);
        }, "canceller");
        ender.start();
        canceller.start();
        go.countDown();
        ender.join(TimeUnit.SECONDS.toMillis(20));
        canceller.join(TimeUnit.SECONDS.toMillis(20));
        attempts.forEach(a -> a.end(Outcome.response(200))); // ended already: ignored
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
