package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.PeerPicker;
import dev.podlb.benchmarks.peers.Peers;
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
 * One pick by each library, podlb and its peers, over the same endpoints, with the bare
 * {@code AtomicInteger}-modulo baseline in the same run. Each {@code picker} value runs in its own
 * fork, so no library's code pollutes another's profile. Run with {@code -t 1} and {@code -t 2}.
 * gRPC's ring_hash is absent: its picker takes the request hash only through an xDS-internal key
 * (see {@code GrpcPeers.RING_HASH_UNAVAILABLE}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PeerPickBenchmark {
    @State(Scope.Benchmark)
    public static class Service {
        @Param({"baselineAtomicCounter", "podlbRoundRobin", "armeriaRoundRobin", "springCloudRoundRobin", "storkRoundRobin",
                "storkPowerOfTwoChoices", "grpcRoundRobin", "podlbSticky", "armeriaSticky"})
        public String picker;

        @Param({"10", "100", "1000"})
        public int endpoints;

        PeerPicker peer;

        @Setup(Level.Trial)
        public void setUp() {
            peer = Peers.create(picker, Peers.addresses(endpoints));
        }
    }

    @State(Scope.Thread)
    public static class Keys {
        long next;
    }

    @Benchmark
    public Object pick(Service service, Keys keys) {
        return service.peer.pick(keys.next++);
    }
}
