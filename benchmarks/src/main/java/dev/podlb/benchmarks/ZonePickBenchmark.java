package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.net.ConnectException;
import java.net.InetSocketAddress;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Round-robin picks with zone-aware routing: endpoints in three zones, each hinted for its own, and
 * a client in zone a. {@code cluster}: no topology (the baseline); {@code zone}: every pick stays in
 * a; {@code spill}: one of a's pods ejected, so a share of the picks spills to the other zones
 * through the split picker. {@link #keptInZone} is the share of picks that stayed in a, measured
 * over 100,000 picks at setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ZonePickBenchmark {
    private static final String[] ZONES = {"a", "b", "c"};

    @Param({"cluster", "zone", "spill"})
    public String routing;

    @Param({"10", "100", "1000"})
    public int endpoints;

    LoadBalancer lb;
    /** The share of picks that stayed in the client's zone. */
    public double keptInZone;

    @Setup(Level.Trial)
    public void setUp() {
        List<Endpoint> pods = new ArrayList<>();
        List<InetSocketAddress> addresses = Peers.addresses(endpoints);
        for (int i = 0; i < addresses.size(); i++) {
            String zone = ZONES[i % ZONES.length];
            pods.add(Endpoint.builder(addresses.get(i).getAddress(), addresses.get(i).getPort()).zone(zone)
                    .zoneHints(List.of(zone)).build());
        }
        TopologyPolicy topology = routing.equals("cluster") ? TopologyPolicy.disabled()
                : TopologyPolicy.builder().locality(Locality.of("a", null)).build();
        lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(pods)).topology(topology)
                .ejection(EjectionPolicy.builder().maxEjectionPercent(100).build()).scheduler(new ManualScheduler())
                .build();
        if (routing.equals("spill")) {
            for (int i = 0; i < 5; i++) {
                lb.report(pods.get(0), Outcome.connectFailure(new ConnectException("refused")));
            }
        }
        int local = 0;
        int picks = 100_000;
        for (int i = 0; i < picks; i++) {
            if (lb.pick().zone().orElseThrow().equals("a")) {
                local++;
            }
        }
        keptInZone = (double) local / picks;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        lb.close();
    }

    @Benchmark
    public Endpoint pick() {
        return lb.pick(PickRequest.none());
    }
}
