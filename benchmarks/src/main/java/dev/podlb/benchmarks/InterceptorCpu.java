package dev.podlb.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link InterceptorBenchmark}'s two clients timed by the calling thread's CPU time rather than
 * by the wall clock: time the thread spends preempted by other processes is not counted, so on a
 * busy machine this still tells what podlb's interceptor adds to a call. Blocks of 20,000 calls
 * of each client alternate; printed: the median block's CPU time per call of each, and the
 * median of the blocks' differences.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.InterceptorCpu</pre>
 */
public final class InterceptorCpu {
    private static final int BLOCK = 20_000;
    private static final int BLOCKS = 40;

    public static void main(String[] args) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (String picker : new String[] {"roundRobin", "leastRequestLatencyAware"}) {
            InterceptorBenchmark bench = new InterceptorBenchmark();
            bench.picker = picker;
            bench.start();
            try {
                for (int warm = 0; warm < 10 * BLOCK; warm++) {
                    bench.plainOkHttp();
                    bench.podlbOkHttp();
                }
                double[] plain = new double[BLOCKS];
                double[] podlb = new double[BLOCKS];
                double[] added = new double[BLOCKS];
                for (int b = 0; b < BLOCKS; b++) {
                    long start = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < BLOCK; i++) {
                        bench.plainOkHttp();
                    }
                    long between = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < BLOCK; i++) {
                        bench.podlbOkHttp();
                    }
                    long end = threads.getCurrentThreadCpuTime();
                    plain[b] = (between - start) / (double) BLOCK;
                    podlb[b] = (end - between) / (double) BLOCK;
                    added[b] = podlb[b] - plain[b];
                }
                System.out.printf(Locale.ROOT, "%s: CPU ns a call: plain OkHttp %.0f, podlb %.0f; podlb adds %.0f (median of %d"
                        + " blocks)%n", picker, median(plain), median(podlb), median(added), BLOCKS);
            } finally {
                bench.stop();
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
