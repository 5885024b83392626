package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.Pickers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * What telling a load balancer how a call went costs on the request path, beside two baselines and
 * beside what the first release did on every report, a resilience4j circuit breaker's
 * {@code onSuccess} (its locks and event). Every call reports a success on one of 10 pods in turn;
 * with two threads both go round the same pods, starting on consecutive ones as a round-robin pick
 * hands concurrent calls consecutive pods (both starting on the first pod started them contending
 * on one pod's counter). Two threads can still fall into step on one pod as they go round, or
 * drift apart: at 2 threads a trial's figures vary with which, by about 2× on the pair. The
 * baselines: {@code baselinePodCounter} increments an {@code AtomicInteger} of the pod in turn, so
 * that it pays the same rotation as a report (the comparison the report path is held to);
 * {@code baselineAtomicIncrement} increments one shared counter; {@code baselinePodCounterPair}
 * increments and decrements an {@code AtomicLong} of the pod in turn (the comparison an attempt is
 * held to). Each pod's baseline counter is padded to a cache line of its own, as a pod's state
 * keeps its hot fields off the next pod's line: unpadded, the counters of neighbouring pods shared
 * lines, and at 2 threads the baselines paid a false sharing the load balancer does not.
 * {@code attempt} is the interceptor's path: {@code start} (requests in flight) and {@code end}
 * (outcome) on a round-robin load balancer, which keeps no latency; {@code attemptWithLatency} the
 * same where latency is kept (two clock reads, the latency average).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReportBenchmark {
    private static final Outcome OK = Outcome.response(200);
    private static final int PODS = 10;

    @State(Scope.Benchmark)
    public static class Shared {
        final AtomicInteger counter = new AtomicInteger();
        final AtomicInteger[] podCounters = new AtomicInteger[PODS];
        final AtomicLong[] podPairs = new AtomicLong[PODS];
        LoadBalancer lb;
        /** Round-robin too, keeping each pod's latency ({@code recordLatency()}), as latency-aware least-request does. */
        LoadBalancer lbWithLatency;
        Endpoint[] pods;
        final CircuitBreaker breaker = CircuitBreaker.of("first-release", CircuitBreakerConfig.custom()
                .slidingWindow(5, 5, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(100f).build());

        @Setup(Level.Trial)
        public void setUp() {
            List<Endpoint> list = Peers.podlbEndpoints(Peers.addresses(PODS));
            pods = list.toArray(new Endpoint[0]);
            for (int i = 0; i < podCounters.length; i++) {
                podCounters[i] = new PaddedInteger();
                podPairs[i] = new PaddedLong();
            }
            lb = Peers.podlbBalancer(list, false);
            lbWithLatency = LoadBalancer.builder("backend").resolver(StaticResolver.of(list)).picker(Pickers.roundRobin())
                    .recordLatency().build();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            lb.close();
            lbWithLatency.close();
        }
    }

    /** An {@code AtomicInteger} followed by 56 bytes of nothing: with the next object's header, 64 bytes to the next counter. */
    @SuppressWarnings({"unused", "serial"})
    static final class PaddedInteger extends AtomicInteger {
        private long p1, p2, p3, p4, p5, p6, p7;
    }

    /** An {@code AtomicLong} followed by 56 bytes of nothing, as {@link PaddedInteger}. */
    @SuppressWarnings({"unused", "serial"})
    static final class PaddedLong extends AtomicLong {
        private long p1, p2, p3, p4, p5, p6, p7;
    }

    /** Each thread's turn through the pods; wrapped with a branch, since a division would cost more than a report. */
    @State(Scope.Thread)
    public static class Turn {
        int next;

        /** Thread i starts on pod i, as concurrent round-robin picks go to consecutive pods. */
        @Setup(Level.Trial)
        public void setUp(ThreadParams thread) {
            next = thread.getThreadIndex() % PODS;
        }

        Endpoint next(Endpoint[] pods) {
            return pods[advance(pods.length)];
        }

        int advance(int n) {
            int index = next;
            if (++next == n) {
                next = 0;
            }
            return index;
        }
    }

    @Benchmark
    public int baselineAtomicIncrement(Shared shared) {
        return shared.counter.incrementAndGet();
    }

    @Benchmark
    public int baselinePodCounter(Shared shared, Turn turn) {
        return shared.podCounters[turn.advance(shared.podCounters.length)].incrementAndGet();
    }

    /** The least an attempt's start and end could do: one per-pod {@code AtomicLong} up as it starts, down as it ends. */
    @Benchmark
    public long baselinePodCounterPair(Shared shared, Turn turn) {
        AtomicLong inFlight = shared.podPairs[turn.advance(shared.podPairs.length)];
        inFlight.incrementAndGet();
        return inFlight.decrementAndGet();
    }

    @Benchmark
    public void report(Shared shared, Turn turn) {
        shared.lb.report(turn.next(shared.pods), OK);
    }

    @Benchmark
    public void attempt(Shared shared, Turn turn) {
        shared.lb.start(turn.next(shared.pods)).end(OK);
    }

    /** {@link #attempt} where the load balancer keeps latency: two clock reads and the latency average more. */
    @Benchmark
    public void attemptWithLatency(Shared shared, Turn turn) {
        shared.lbWithLatency.start(turn.next(shared.pods)).end(OK);
    }

    @Benchmark
    public void firstReleaseResilience4jOnSuccess(Shared shared) {
        shared.breaker.onSuccess(0, TimeUnit.NANOSECONDS);
    }
}
