package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Heap a load balancer keeps alive, its endpoints included, by picker and pod count, and for a
 * client holding 50 load balancers of 20 pods each: the heap used after collection with the load
 * balancers built and ready, less the heap used before, divided by how many were built (enough of
 * them that each measurement covers megabytes). The whole table is measured twice and the second
 * printed, so that class loading and shared threads are not counted.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.LoadBalancerMemory</pre>
 */
public final class LoadBalancerMemory {
    static final int[] PODS = {10, 100, 1000, 5000};

    private LoadBalancerMemory() {}

    public static void main(String[] args) throws Exception {
        table(); // a first pass loads the classes and starts the shared threads, which the second leaves out
        table().forEach(System.out::println);
        System.exit(0);
    }

    /** The markdown table: KiB per load balancer, by picker and pod count, and for 50 × 20 pods. */
    static List<String> table() {
        Map<String, Supplier<PickerPolicy>> pickers = new LinkedHashMap<>();
        pickers.put("round-robin", Pickers::roundRobin);
        pickers.put("least-request, latency-aware", () -> Pickers.leastRequest().latencyAware(true));
        pickers.put("sticky", Pickers::sticky);
        List<String> lines = new ArrayList<>();
        lines.add("| picker | 10 pods | 100 | 1,000 | 5,000 | 50 load balancers of 20 pods, in all |");
        lines.add("|---|---|---|---|---|---|");
        for (Map.Entry<String, Supplier<PickerPolicy>> picker : pickers.entrySet()) {
            StringBuilder row = new StringBuilder("| " + picker.getKey());
            for (int pods : PODS) {
                int count = Math.max(4, Math.min(200, 20_000 / pods));
                row.append(String.format(Locale.ROOT, " | %.1f KiB", bytesPerBalancer(picker.getValue(), pods, count) / 1024));
            }
            row.append(String.format(Locale.ROOT, " | %.0f KiB |", 50 * bytesPerBalancer(picker.getValue(), 20, 50) / 1024));
            lines.add(row.toString());
        }
        return lines;
    }

    /** Heap bytes per load balancer, each over its own {@code pods} endpoints, measured over {@code count} of them. */
    private static double bytesPerBalancer(Supplier<PickerPolicy> picker, int pods, int count) {
        long before = usedAfterGc();
        List<LoadBalancer> kept = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                LoadBalancer lb = LoadBalancer.builder("backend-" + i)
                        .resolver(StaticResolver.of(Peers.podlbEndpoints(Peers.addresses(pods))))
                        .picker(picker.get()).build();
                kept.add(lb.awaitReady(Duration.ofSeconds(60)));
            }
            long after = usedAfterGc();
            return (after - before) / (double) count;
        } finally {
            kept.forEach(LoadBalancer::close);
            kept.clear();
            usedAfterGc(); // what the closed ones held is gone before the next measurement starts
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
