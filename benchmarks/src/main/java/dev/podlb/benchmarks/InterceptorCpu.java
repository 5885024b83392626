package dev.podlb.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link InterceptorBenchmark}'s two clients timed by the calling thread's CPU time rather than
 * by the wall clock: time the thread spends preempted by other processes is not counted, so on a
 * busy machine this still tells what podlb's interceptor adds to a call. Blocks of 20,000 calls
 * of each client alternate, each client going first in every other pair; printed: the median
 * block's CPU time per call of each, and the median of the pairs' differences. Work on other
 * threads (the collector's, the compiler's) is not counted.
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
                List<Double> plain = new ArrayList<>();
                List<Double> podlb = new ArrayList<>();
                List<Double> added = new ArrayList<>();
                for (int b = 0; b < BLOCKS; b++) {
                    // Which client goes first alternates, so that neither always follows the other's garbage.
                    boolean plainFirst = b % 2 == 0;
                    double first = cpuPerCall(threads, bench, plainFirst);
                    double second = cpuPerCall(threads, bench, !plainFirst);
                    double plainCall = plainFirst ? first : second;
                    double podlbCall = plainFirst ? second : first;
                    plain.add(plainCall);
                    podlb.add(podlbCall);
                    added.add(podlbCall - plainCall);
                }
                System.out.printf(Locale.ROOT, "%s: CPU ns a call: plain OkHttp %.0f, podlb %.0f; podlb adds %.0f (medians over %d"
                        + " pairs of blocks)%n", picker, Propagation.median(plain),
                        Propagation.median(podlb), Propagation.median(added), BLOCKS);
            } finally {
                bench.stop();
            }
        }
    }

    /** The calling thread's CPU nanoseconds per call over a block of calls through one client. */
    private static double cpuPerCall(ThreadMXBean threads, InterceptorBenchmark bench, boolean plain) throws Exception {
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) {
            if (plain) {
                bench.plainOkHttp();
            } else {
                bench.podlbOkHttp();
            }
        }
        return (threads.getCurrentThreadCpuTime() - start) / (double) BLOCK;
    }
}
