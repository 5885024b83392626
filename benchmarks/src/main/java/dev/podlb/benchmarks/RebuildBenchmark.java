package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.pick.PickableEndpoints;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerInstance;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a change of endpoints costs: building the set and the picker over it, as a load balancer
 * does on every discovery or health change. Each rebuild alternates between two sets that differ
 * by one endpoint, so nothing is reused from the previous build.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class RebuildBenchmark {
    @Param({"10", "100", "1000", "10000"})
    public int endpoints;

    private static final PickerContext CONTEXT = PickerContext.of("backend", Scheduler.system());

    private final List<List<Endpoint>> sets = new ArrayList<>();
    private final PickerInstance roundRobin = Pickers.roundRobin().newInstance(CONTEXT);
    private final PickerInstance sticky = Pickers.sticky().newInstance(CONTEXT);
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<Endpoint> all = Peers.podlbEndpoints(Peers.addresses(endpoints + 1));
        sets.add(all.subList(0, endpoints));
        sets.add(all.subList(1, endpoints + 1));
    }

    private PickableEndpoints nextSet() {
        EndpointSet set = EndpointSet.of(next, sets.get(next++ & 1));
        return PickableEndpoints.of("backend", set);
    }

    @Benchmark
    public Picker roundRobin() {
        return roundRobin.newPicker(nextSet());
    }

    @Benchmark
    public Picker sticky() {
        return sticky.newPicker(nextSet());
    }
}
