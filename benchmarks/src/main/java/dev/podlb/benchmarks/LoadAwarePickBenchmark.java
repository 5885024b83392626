package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.SlowStart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
 * The cost of one {@link LoadBalancer#pick} by each load-aware picker, beside round-robin in the
 * same run, each in its own fork. Every pod has requests in flight (0 to 4) and a latency sample,
 * so least-request compares live figures as it does under load; the weighted rows give pods
 * weights 1 to 4; the slow-start rows have one pod of the set warming up, so they pay for the
 * clock and the slowed pod's turns. Run with {@code -t 1} and {@code -t 2}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LoadAwarePickBenchmark {
    @State(Scope.Benchmark)
    public static class Service {
        @Param({"roundRobin", "leastRequest", "peakEwma", "weightedRoundRobin", "weightedLeastRequest",
                "roundRobinSlowStart", "leastRequestSlowStart"})
        public String picker;

        @Param({"10", "100", "1000"})
        public int endpoints;

        LoadBalancer lb;
        private final List<Attempt> open = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp() throws InterruptedException {
            List<Endpoint> all = Peers.podlbEndpoints(Peers.addresses(endpoints));
            if (picker.startsWith("weighted")) {
                List<Endpoint> weighted = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) {
                    weighted.add(all.get(i).toBuilder().weight(1 + i % 4).build());
                }
                all = weighted;
            }
            boolean slowStart = picker.endsWith("SlowStart");
            StaticResolver pods = StaticResolver.of(slowStart ? all.subList(1, all.size()) : all);
            lb = LoadBalancer.builder("backend").resolver(pods).picker(policy()).build();
            if (slowStart) {
                pods.update(all); // the first pod joins after the first set: it warms up for the hour's window
                while (lb.endpoints().size() < all.size()) {
                    Thread.sleep(10);
                }
            }
            SplittableRandom random = new SplittableRandom(1);
            for (Endpoint e : all) {
                Attempt sample = lb.start(e);
                Thread.sleep(0, 1000 + random.nextInt(100_000));
                sample.end(Outcome.response(200));
                for (int i = random.nextInt(5); i > 0; i--) {
                    open.add(lb.start(e));
                }
            }
        }

        private PickerPolicy policy() {
            SlowStart hour = SlowStart.of(Duration.ofHours(1));
            switch (picker) {
                case "roundRobin":
                case "weightedRoundRobin":
                    return Pickers.roundRobin();
                case "leastRequest":
                case "weightedLeastRequest":
                    return Pickers.leastRequest();
                case "peakEwma":
                    return Pickers.leastRequest().latencyAware(true);
                case "roundRobinSlowStart":
                    return Pickers.roundRobin(hour);
                case "leastRequestSlowStart":
                    return Pickers.leastRequest().slowStart(hour);
                default:
                    throw new IllegalArgumentException("unknown picker " + picker);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            open.forEach(Attempt::cancel);
            lb.close();
        }
    }

    @Benchmark
    public Endpoint pick(Service service) {
        return service.lb.pick(PickRequest.none());
    }
}
