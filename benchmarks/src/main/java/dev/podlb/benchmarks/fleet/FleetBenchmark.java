package dev.podlb.benchmarks.fleet;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A simulated fleet: 10 pods on loopback (127.0.0.2 to 127.0.0.11), each serving 8 calls at once
 * ({@link Fleet}) in 5 ms each but pod 0, which is 10 times slower in one scenario and pauses
 * 200 ms every second in the other;
 * 50 callers send one call after another through OkHttp. Each picker runs over the same pods in
 * the same run: podlb's round-robin, least-request and Peak-EWMA (least-request latency-aware),
 * and Stork's power-of-two-choices and least-response-time. The table gives p50, p99 and p99.9
 * of a call's latency, calls per second and the share of calls sent to pod 0.
 *
 * <p>podlb is driven directly around OkHttp: {@code lb.pick()}, {@code lb.start(pod)}, the call
 * to the pod's URL, {@code attempt.end(outcome)}: what the OkHttp interceptor does per attempt,
 * without its retries, so that every picker, podlb's and Stork's, runs on the same harness; Stork
 * is driven as its REST client drives it.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar[:stork-load-balancer-least-response-time-2.7.9.jar] \
 *     dev.podlb.benchmarks.fleet.FleetBenchmark [--warmup 3] [--seconds 10] [output.md]
 * </pre>
 * Stork's least-response-time is found through Stork's own service loader and is left out, with a
 * note, when its jar is not on the class path.
 */
public final class FleetBenchmark {
    static final int PODS = 10;
    static final int CALLERS = 50;
    static final Duration SERVICE_TIME = Duration.ofMillis(5);

    private FleetBenchmark() {}

    public static void main(String[] args) throws Exception {
        Duration warmUp = Duration.ofSeconds(intOption(args, "--warmup", 3));
        Duration measure = Duration.ofSeconds(intOption(args, "--seconds", 10));
        Path file = Path.of(outputArgument(args, "benchmarks/results/fleet.md"));
        StringBuilder out = new StringBuilder();
        out.append("# Load-aware picking over a simulated fleet\n\n")
                .append(String.format(Locale.ROOT, "Written by `dev.podlb.benchmarks.fleet.FleetBenchmark` on %s: %d pods on"
                        + " loopback serving " + Fleet.WORKERS + " calls at once in %d ms each, pod 0 slower or pausing, %d callers through OkHttp, %d s warm-up"
                        + " and %d s measured per picker, on %d cores.%n%n", LocalDate.now(), PODS,
                        SERVICE_TIME.toMillis(), CALLERS, warmUp.toSeconds(), measure.toSeconds(),
                        Runtime.getRuntime().availableProcessors()));
        try (Fleet fleet = new Fleet(PODS, SERVICE_TIME)) {
            Callers callers = new Callers();
            // Untimed: the JIT compiles the call path and every caller opens its connections before any row.
            fleet.mode(Fleet.Mode.NORMAL);
            callers.run(podlb(fleet, Pickers.roundRobin()), CALLERS, PODS, warmUp.multipliedBy(2), Duration.ZERO, null);
            for (Fleet.Mode mode : new Fleet.Mode[] {Fleet.Mode.SLOW, Fleet.Mode.PAUSING}) {
                fleet.mode(mode);
                out.append("## Pod 0 ").append(mode == Fleet.Mode.SLOW ? "10x slower (50 ms)" : "pausing 200 ms every second")
                        .append("\n\n| picker | p50 ms | p99 ms | p99.9 ms | calls/s | share to pod 0 | p99 / round-robin's |\n")
                        .append("|---|---:|---:|---:|---:|---:|---:|\n");
                double roundRobinP99 = 0;
                for (Map.Entry<String, Balancer> entry : balancers(fleet).entrySet()) {
                    if (entry.getValue() == null) {
                        out.append("| ").append(entry.getKey()).append(" | not on the class path | | | | | |\n");
                        continue;
                    }
                    Callers.Result r = callers.run(entry.getValue(), CALLERS, PODS, warmUp, measure, null);
                    if (roundRobinP99 == 0) {
                        roundRobinP99 = r.percentileMillis(99);
                    }
                    String row = String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.0f | %.1f%% | %.2f |%n",
                            entry.getKey(), r.percentileMillis(50), r.percentileMillis(99), r.percentileMillis(99.9),
                            r.perSecond(), 100 * r.share(0), r.percentileMillis(99) / roundRobinP99);
                    out.append(row);
                    System.out.print(mode + " " + row);
                    if (r.errors > 0) {
                        out.append("| (").append(r.errors).append(" errors in the row above) | | | | | | |\n");
                    }
                }
                out.append('\n');
            }
            callers.close();
            closeAll();
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, out.toString());
        System.out.println("wrote " + file.toAbsolutePath());
    }

    private static final List<LoadBalancer> OPEN = new ArrayList<>();

    /** Every picker of the table, in its order; a {@code null} balancer is not on the class path. */
    private static Map<String, Balancer> balancers(Fleet fleet) {
        Map<String, Balancer> all = new LinkedHashMap<>();
        all.put("podlb round-robin", podlb(fleet, Pickers.roundRobin()));
        all.put("podlb least-request", podlb(fleet, Pickers.leastRequest()));
        all.put("podlb Peak-EWMA", podlb(fleet, Pickers.leastRequest().latencyAware(true)));
        all.put("Stork power-of-two-choices", stork(fleet, "power-of-two-choices"));
        all.put("Stork least-response-time", stork(fleet, "least-response-time"));
        return all;
    }

    private static Balancer podlb(Fleet fleet, PickerPolicy policy) {
        LoadBalancer lb = Balancers.podlbBalancer(policy, StaticResolver.of(fleet.endpoints()));
        OPEN.add(lb);
        return Balancers.podlb(lb, fleet.endpoints(), fleet);
    }

    private static Balancer stork(Fleet fleet, String type) {
        io.smallrye.stork.api.LoadBalancer lb = Balancers.storkLoadBalancer(type);
        return lb == null ? null : Balancers.stork(lb, fleet);
    }

    private static void closeAll() {
        OPEN.forEach(LoadBalancer::close);
        OPEN.clear();
    }

    static int intOption(String[] args, String name, int otherwise) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return otherwise;
    }

    static String outputArgument(String[] args, String otherwise) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                i++;
            } else {
                return args[i];
            }
        }
        return otherwise;
    }
}
