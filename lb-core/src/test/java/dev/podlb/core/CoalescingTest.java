package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a load balancer batches discovery's sets when its rebuilds cost time: a clock that a
 * rebuild moves forward by its cost (a manual clock, moved by the picker as it builds), and sets
 * delivered as the test moves the clock.
 */
@Timeout(30)
class CoalescingTest {
    private static final Duration WINDOW = Duration.ofMillis(50);

    private final ManualScheduler time = new ManualScheduler();
    private final CostlyClock clock = new CostlyClock();
    /** What each picker build costs, on {@link #clock}. */
    private Duration buildCost = Duration.ZERO;
    private final List<Long> appliedAt = new ArrayList<>();

    /** The manual clock, plus what rebuilds cost so far: a rebuild moves this clock and no timer. */
    private final class CostlyClock implements Scheduler {
        long spent;

        @Override
        public long nanoTime() {
            return time.nanoTime() + spent;
        }

        @Override
        public Cancellable schedule(Duration delay, Runnable task) {
            return time.schedule(delay, task);
        }

        @Override
        public Executor executor() {
            return time.executor();
        }
    }

    private LoadBalancer balancer(StaticResolver resolver) {
        PickerPolicy costly = PickerPolicy.of(pickable -> {
            clock.spent += buildCost.toNanos();
            Endpoint first = pickable.endpoints().get(0);
            return request -> first;
        });
        return LoadBalancer.builder("backend").resolver(resolver).scheduler(clock).picker(costly)
                .coalesceUpdates(WINDOW).listener(new LoadBalancerListener() {
                    @Override
                    public void endpointsChanged(String service, EndpointSet set) {
                        appliedAt.add(clock.nanoTime());
                    }
                }).build();
    }

    private static List<Endpoint> pods(int n) {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pods.add(Endpoint.builder("10.0." + (i / 250) + "." + (i % 250 + 1), 8080).build());
        }
        return pods;
    }

    /**
     * A rebuild costing twice the window, then a quiet window: the next set is applied at once.
     * The former rule held it until twice the last rebuild's cost had passed since that began.
     */
    @Test
    void aSetAfterAQuietWindowIsAppliedAtOnceThoughTheLastRebuildCostMoreThanTheWindow() {
        buildCost = Duration.ofMillis(100);
        StaticResolver resolver = StaticResolver.of(pods(1));
        try (LoadBalancer lb = balancer(resolver)) {
            assertThat(appliedAt).hasSize(1);
            assertThat(clock.spent).as("the first rebuild cost").isPositive();
            time.advance(WINDOW);
            resolver.update(pods(2));
            assertThat(lb.endpoints().size()).as("applied at once").isEqualTo(2);
        }
    }

    /**
     * Sets every 10 ms for 20 s, each rebuild costing 100 ms: rebuilds take at most half of the
     * time plus four windows, and the last set is applied once the storm is over.
     */
    @Test
    void underAStormOfSetsCostlyRebuildsTakeAtMostHalfOfTheTimePlusFourWindows() {
        buildCost = Duration.ofMillis(100);
        StaticResolver resolver = StaticResolver.of(pods(1));
        try (LoadBalancer lb = balancer(resolver)) {
            long start = clock.nanoTime();
            long spentBefore = clock.spent;
            int sets = 2000;
            for (int i = 2; i <= sets; i++) {
                time.advance(Duration.ofMillis(10));
                resolver.update(pods(i % 500 + 1));
            }
            long elapsed = clock.nanoTime() - start;
            long spent = clock.spent - spentBefore;
            assertThat(spent).as("rebuild time over %d ms", elapsed / 1_000_000)
                    .isLessThanOrEqualTo((elapsed + 4 * WINDOW.toNanos()) / 2);
            assertThat(appliedAt.size()).as("sets applied").isBetween(10, sets / 2);
            time.advance(Duration.ofSeconds(1));
            assertThat(lb.endpoints().size()).isEqualTo(sets % 500 + 1);
        }
    }

    /** Cheap rebuilds under the same storm: each set is applied within the window. */
    @Test
    void cheapRebuildsAreNeverHeldPastTheWindow() {
        buildCost = Duration.ofMillis(5);
        StaticResolver resolver = StaticResolver.of(pods(1));
        try (LoadBalancer lb = balancer(resolver)) {
            for (int i = 2; i <= 500; i++) {
                time.advance(Duration.ofMillis(10));
                resolver.update(pods(i));
            }
            for (int i = 1; i < appliedAt.size(); i++) {
                assertThat(appliedAt.get(i) - appliedAt.get(i - 1)).as("between applies %d and %d", i - 1, i)
                        .isLessThanOrEqualTo(WINDOW.toNanos() + 2 * buildCost.toNanos() + Duration.ofMillis(10).toNanos());
            }
            time.advance(WINDOW);
            assertThat(lb.endpoints().size()).isEqualTo(500);
        }
    }
}
