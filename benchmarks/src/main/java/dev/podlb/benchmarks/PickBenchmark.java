package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.Scheduler;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one pick through {@link LoadBalancer#pick}, beside the bare baseline every
 * round-robin pays at least: a shared {@code AtomicInteger} taken modulo the endpoint count.
 * Run with {@code -t 1} and {@code -t 2}: the baseline's shared counter is what contends.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PickBenchmark {
    /** Sticky keys cycle through this many distinct session ids. */
    private static final int KEYS = 1 << 16;

    @State(Scope.Benchmark)
    public static class Service {
        @Param({"10", "100", "1000"})
        public int endpoints;

        Endpoint[] array;
        final AtomicInteger counter = new AtomicInteger();
        LoadBalancer roundRobin;
        LoadBalancer sticky;
        Picker roundRobinPicker;

        @Setup(Level.Trial)
        public void setUp() {
            List<Endpoint> list = Peers.podlbEndpoints(Peers.addresses(endpoints));
            array = list.toArray(new Endpoint[0]);
            roundRobin = Peers.podlbBalancer(list, false);
            sticky = Peers.podlbBalancer(list, true);
            EndpointSet set = EndpointSet.of(1, list);
            roundRobinPicker = Pickers.roundRobin().newInstance(PickerContext.of("backend", Scheduler.system()))
                    .newPicker(PickableEndpoints.of("backend", set));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            roundRobin.close();
            sticky.close();
        }
    }

    @State(Scope.Thread)
    public static class Sessions {
        final PickRequest[] requests = new PickRequest[KEYS];
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom();
            for (int i = 0; i < KEYS; i++) {
                requests[i] = PickRequest.sticky(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
            }
        }

        PickRequest nextRequest() {
            return requests[next++ & (KEYS - 1)];
        }
    }

    @Benchmark
    public Endpoint baselineAtomicCounter(Service service) {
        Endpoint[] array = service.array;
        return array[(service.counter.getAndIncrement() & Integer.MAX_VALUE) % array.length];
    }

    @Benchmark
    public Endpoint roundRobin(Service service) {
        return service.roundRobin.pick(PickRequest.none());
    }

    /** The round-robin picker alone, without the load balancer around it. */
    @Benchmark
    public Endpoint roundRobinPickerAlone(Service service) {
        return service.roundRobinPicker.pick(PickRequest.none());
    }

    @Benchmark
    public Endpoint sticky(Service service, Sessions sessions) {
        return service.sticky.pick(sessions.nextRequest());
    }
}
