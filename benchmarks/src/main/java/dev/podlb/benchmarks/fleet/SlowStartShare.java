package dev.podlb.benchmarks.fleet;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.SlowStart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The share of calls a new pod takes, second by second, under slow start: 9 pods on loopback
 * serve 50 callers through OkHttp (as {@link FleetBenchmark} drives them), then a tenth joins the
 * set and ramps in over a 20 s window (aggression 1, from 10%). Beside each picker's measured
 * share stands Envoy's formula for it, {@code f / (9 + f)} with
 * {@code f = max(0.1, t / window)} at the middle of the second. Writes a markdown table and a
 * PNG plot of it (Java2D, no dependency).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.fleet.SlowStartShare [--seconds 25] [directory]
 * </pre>
 */
public final class SlowStartShare {
    private static final int PODS = 10;
    private static final Duration WINDOW = Duration.ofSeconds(20);
    private static final SlowStart SLOW_START = SlowStart.of(WINDOW);

    private SlowStartShare() {}

    public static void main(String[] args) throws Exception {
        int seconds = FleetBenchmark.intOption(args, "--seconds", 25);
        Path directory = Path.of(FleetBenchmark.outputArgument(args, "benchmarks/results"));
        Map<String, PickerPolicy> pickers = new LinkedHashMap<>();
        pickers.put("round-robin", Pickers.roundRobin(SLOW_START));
        pickers.put("least-request", Pickers.leastRequest().slowStart(SLOW_START));
        pickers.put("Peak-EWMA", Pickers.leastRequest().latencyAware(true).slowStart(SLOW_START));
        Map<String, double[]> shares = new LinkedHashMap<>();
        try (Fleet fleet = new Fleet(PODS, FleetBenchmark.SERVICE_TIME)) {
            Callers callers = new Callers();
            for (Map.Entry<String, PickerPolicy> picker : pickers.entrySet()) {
                shares.put(picker.getKey(), measure(fleet, callers, picker.getValue(), seconds));
                System.out.println(picker.getKey() + " done");
            }
            callers.close();
        }
        double[] expected = new double[seconds];
        for (int s = 0; s < seconds; s++) {
            double factor = Math.max(0.1, Math.min(1.0, (s + 0.5) / WINDOW.toSeconds()));
            expected[s] = factor / (PODS - 1 + factor);
        }
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("slow-start.md"), table(expected, shares, seconds));
        SharePlot.write(directory.resolve("slow-start.png"), "Share of calls to a new pod under slow start"
                + " (window " + WINDOW.toSeconds() + " s, 9 warm pods, 50 callers)", expected, shares);
        System.out.println("wrote " + directory.resolve("slow-start.md").toAbsolutePath() + " and slow-start.png");
    }

    /** The new pod's share of the calls started in each second after it joined. */
    private static double[] measure(Fleet fleet, Callers callers, PickerPolicy policy, int seconds)
            throws InterruptedException {
        List<dev.podlb.core.Endpoint> all = fleet.endpoints();
        int newcomer = all.size() - 1;
        StaticResolver pods = StaticResolver.of(all.subList(0, newcomer));
        LoadBalancer lb = Balancers.podlbBalancer(policy, pods);
        Duration warmUp = Duration.ofSeconds(4);
        AtomicLongArray total = new AtomicLongArray(seconds);
        AtomicLongArray toNewcomer = new AtomicLongArray(seconds);
        Thread joiner = new Thread(() -> {
            try {
                Thread.sleep(warmUp.toMillis());
                pods.update(all);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "newcomer-joins");
        joiner.start();
        callers.run(Balancers.podlb(lb, all, fleet), FleetBenchmark.CALLERS, all.size(), warmUp,
                Duration.ofSeconds(seconds), (pod, sinceMeasureNanos) -> {
                    int second = (int) (sinceMeasureNanos / 1_000_000_000L);
                    if (sinceMeasureNanos >= 0 && second < seconds) {
                        total.incrementAndGet(second);
                        if (pod == newcomer) {
                            toNewcomer.incrementAndGet(second);
                        }
                    }
                });
        joiner.join();
        lb.close();
        double[] share = new double[seconds];
        for (int s = 0; s < seconds; s++) {
            share[s] = total.get(s) == 0 ? 0 : (double) toNewcomer.get(s) / total.get(s);
        }
        return share;
    }

    private static String table(double[] expected, Map<String, double[]> shares, int seconds) {
        StringBuilder out = new StringBuilder("# Slow start: a new pod's share of calls, second by second\n\n")
                .append(String.format(Locale.ROOT, "Written by `dev.podlb.benchmarks.fleet.SlowStartShare` on %s: 9 pods"
                        + " on loopback answering in %d ms serve %d callers through OkHttp; at 0 s a tenth joins, under %s."
                        + " Expected is Envoy's formula, f / (9 + f) with f = max(0.1, t / window) at mid-second; a"
                        + " warm pod's share is 10%%. Plot: `slow-start.png`.%n%n", LocalDate.now(),
                        FleetBenchmark.SERVICE_TIME.toMillis(), FleetBenchmark.CALLERS, SLOW_START));
        out.append("| second | expected |");
        shares.keySet().forEach(name -> out.append(' ').append(name).append(" |"));
        out.append("\n|---:|---:|");
        shares.keySet().forEach(name -> out.append("---:|"));
        out.append('\n');
        for (int s = 0; s < seconds; s++) {
            out.append(String.format(Locale.ROOT, "| %d | %.1f%% |", s, 100 * expected[s]));
            for (double[] share : shares.values()) {
                out.append(String.format(Locale.ROOT, " %.1f%% |", 100 * share[s]));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
