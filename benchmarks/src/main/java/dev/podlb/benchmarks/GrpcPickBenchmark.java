package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.GrpcPeers;
import dev.podlb.benchmarks.peers.PeerPicker;
import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.pick.Pickers;
import dev.podlb.grpc.PodlbPolicy;
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
 * One pick of a gRPC call by gRPC's {@code round_robin} picker and by podlb's {@code podlb}
 * policy's picker (lb-grpc), both driven through gRPC's {@code SubchannelPicker} API over ready
 * subchannels: what a channel spends choosing the subchannel of each call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GrpcPickBenchmark {
    @State(Scope.Benchmark)
    public static class Channel {
        @Param({"grpcRoundRobin", "podlbPolicyRoundRobin", "podlbPolicyLeastRequest"})
        public String picker;

        @Param({"10", "100"})
        public int endpoints;

        PeerPicker peer;

        @Setup(Level.Trial)
        public void setUp() {
            switch (picker) {
                case "grpcRoundRobin":
                    peer = GrpcPeers.roundRobin(Peers.addresses(endpoints));
                    break;
                case "podlbPolicyRoundRobin":
                    peer = GrpcPeers.podlbPolicy(Peers.addresses(endpoints), PodlbPolicy.builder().build());
                    break;
                case "podlbPolicyLeastRequest":
                    peer = GrpcPeers.podlbPolicy(Peers.addresses(endpoints),
                            PodlbPolicy.builder().picker(Pickers.leastRequest().latencyAware(true)).build());
                    break;
                default:
                    throw new IllegalArgumentException("unknown picker " + picker);
            }
        }
    }

    @Benchmark
    public Object pick(Channel channel) {
        return channel.peer.pick(0);
    }
}
