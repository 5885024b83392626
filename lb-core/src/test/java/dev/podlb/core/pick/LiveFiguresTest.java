package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A load balancer keeps the live figures that cost every attempt (the latency average, two clock
 * reads; the total in flight, a shared counter) only when its picker reads them or the
 * application asks for them. Time is a {@link ManualScheduler} that counts how often it is read.
 */
class LiveFiguresTest {
    private final CountingClock time = new CountingClock();
    private final List<Endpoint> pods = endpoints(3);
    private final Endpoint pod = pods.get(0);
    private LoadBalancer lb;

    @AfterEach
    void close() {
        if (lb != null) {
            lb.close();
        }
    }

    private LoadBalancer build(PickerPolicy picker) {
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time).picker(picker).build();
        return lb;
    }

    /** {@code count} attempts on {@code pod} of 5 ms each, ended well; returns how often the clock was read meanwhile. */
    private int attempts(int count) {
        int before = time.reads;
        for (int i = 0; i < count; i++) {
            Attempt attempt = lb.start(pod);
            time.advance(Duration.ofMillis(5));
            attempt.end(Outcome.response(200));
        }
        return time.reads - before;
    }

    @Test
    void aRoundRobinLoadBalancerReadsNoClockForAnAttempt() {
        build(Pickers.roundRobin());
        assertThat(attempts(100)).isZero();
        assertThat(lb.stats(pod).latencyNanos()).as("no latency kept").isZero();
        assertThat(lb.stats(pod).latencyUpdatedNanos()).isZero();
        assertThat(lb.stats(pod).inFlight()).isZero();
    }

    @Test
    void aRoundRobinLoadBalancerCountsAttemptsInFlightAndFailures() {
        build(Pickers.roundRobin());
        int before = time.reads;
        Attempt first = lb.start(pod);
        Attempt second = lb.start(pod);
        assertThat(lb.stats(pod).inFlight()).isEqualTo(2);
        first.end(Outcome.response(503));
        second.cancel();
        assertThat(lb.stats(pod).inFlight()).isZero();
        assertThat(lb.stats(pod).consecutiveFailures()).isEqualTo(1);
        assertThat(time.reads - before).as("a failure below the ejection threshold reads no clock").isZero();
    }

    @Test
    void plainLeastRequestReadsNoClockForAnAttempt() {
        build(Pickers.leastRequest());
        assertThat(attempts(100)).isZero();
    }

    @Test
    void latencyAwareLeastRequestStillSeesEachAttemptsLatency() {
        build(Pickers.leastRequest().latencyAware(true));
        assertThat(attempts(1)).as("the start and the end").isEqualTo(2);
        assertThat(lb.stats(pod).latencyNanos()).isEqualTo(Duration.ofMillis(5).toNanos());
        assertThat(lb.stats(pod).latencyUpdatedNanos()).isEqualTo(time.now());
    }

    @Test
    void anApplicationThatAsksForLatencyGetsItWithRoundRobin() {
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).scheduler(time)
                .picker(Pickers.roundRobin()).recordLatency().build();
        assertThat(attempts(1)).isEqualTo(2);
        assertThat(lb.stats(pod).latencyNanos()).isEqualTo(Duration.ofMillis(5).toNanos());
    }

    @Test
    void anApplicationsPickerSeesEveryFigureByDefault() {
        AtomicReference<PickableEndpoints> seen = new AtomicReference<>();
        build(PickerPolicy.of(pickable -> {
            seen.set(pickable);
            return request -> pickable.endpoints().get(0);
        }));
        assertThat(attempts(1)).isEqualTo(2);
        assertThat(seen.get().stats(pod).latencyNanos()).isEqualTo(Duration.ofMillis(5).toNanos());
        Attempt running = lb.start(pod);
        assertThat(seen.get().inFlight()).isEqualTo(1);
        running.end(Outcome.response(200));
        assertThat(seen.get().inFlight()).isZero();
    }

    @Test
    void aPickerThatDeclaresNoFigureStillSeesTheTotalInFlight() {
        AtomicReference<PickableEndpoints> seen = new AtomicReference<>();
        build(new PickerPolicy() {
            @Override
            public PickerInstance newInstance(PickerContext context) {
                return pickable -> {
                    seen.set(pickable);
                    return request -> pickable.endpoints().get(0);
                };
            }

            @Override
            public Set<LiveFigure> reads() {
                return Set.of();
            }
        });
        int before = time.reads;
        List<Attempt> running = new ArrayList<>();
        for (Endpoint e : pods) {
            running.add(lb.start(e));
        }
        running.add(lb.start(pod));
        assertThat(seen.get().inFlight()).as("summed over the pods").isEqualTo(4);
        running.forEach(a -> a.end(Outcome.response(200)));
        assertThat(seen.get().inFlight()).isZero();
        assertThat(time.reads - before).isZero();
    }

    @Test
    void eachBuiltInPolicyDeclaresWhatItsPickersRead() {
        assertThat(Pickers.roundRobin().reads()).isEmpty();
        assertThat(Pickers.roundRobin(SlowStart.of(Duration.ofSeconds(30))).reads()).isEmpty();
        assertThat(Pickers.leastRequest().reads()).isEmpty();
        assertThat(Pickers.leastRequest().latencyAware(true).reads()).containsExactly(LiveFigure.LATENCY);
        assertThat(Pickers.sticky().reads()).isEmpty();
        assertThat(Pickers.sticky(0.25).reads()).containsExactly(LiveFigure.TOTAL_IN_FLIGHT);
        assertThat(PickerPolicy.of(pickable -> request -> pickable.endpoints().get(0)).reads())
                .containsExactlyInAnyOrder(LiveFigure.values());
    }

    @Test
    void aPolicyThatDeclaresNullIsRefusedNamingIt() {
        PickerPolicy declaresNull = new PickerPolicy() {
            @Override
            public PickerInstance newInstance(PickerContext context) {
                return pickable -> request -> pickable.endpoints().get(0);
            }

            @Override
            public Set<LiveFigure> reads() {
                return null;
            }

            @Override
            public String toString() {
                return "mine";
            }
        };
        assertThatThrownBy(() -> build(declaresNull)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("load balancer for service backend: picker mine declared null as the live figures it reads;"
                        + " expected a set, empty when it reads none");
    }

    /** Manual time that counts its reads. */
    private static final class CountingClock implements Scheduler {
        private final ManualScheduler time = new ManualScheduler();
        int reads;

        @Override
        public long nanoTime() {
            reads++;
            return time.nanoTime();
        }

        long now() {
            return time.nanoTime();
        }

        void advance(Duration step) {
            time.advance(step);
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
}
