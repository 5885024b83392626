package dev.podlb.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * Bytes a call allocates on the thread that runs it, through podlb's interceptor and through
 * plain OkHttp, with {@link EndToEndBenchmark}'s clients and server: a synchronous OkHttp call
 * runs its interceptors, writes its request and reads its response on the caller's thread, so
 * that thread's count is the client's whole share, without the in-process server's, which JMH's
 * {@code -prof gc} adds to every call. Calls alternate between the clients and each is counted
 * alone. Printed: the median call, and the 10th percentile, which leaves out okio's 8 KiB
 * segments: okio pools them per bucket of threads, shared here with the server's threads, so a
 * call allocates one or not by luck of the pool, which hides differences of a few hundred bytes.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.CallAllocation</pre>
 */
public final class CallAllocation {
    private static final int CALLS = 40_000;

    public static void main(String[] args) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String picker : new String[] {"roundRobin", "leastRequestLatencyAware"}) {
            EndToEndBenchmark bench = new EndToEndBenchmark();
            bench.picker = picker;
            bench.start();
            try {
                for (int warm = 0; warm < CALLS / 2; warm++) {
                    bench.plainOkHttp();
                    bench.podlbOkHttp();
                }
                long[] plain = new long[CALLS];
                long[] podlb = new long[CALLS];
                for (int i = 0; i < CALLS; i++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    bench.plainOkHttp();
                    long between = threads.getCurrentThreadAllocatedBytes();
                    bench.podlbOkHttp();
                    podlb[i] = threads.getCurrentThreadAllocatedBytes() - between;
                    plain[i] = between - before;
                }
                Arrays.sort(plain);
                Arrays.sort(podlb);
                System.out.printf(Locale.ROOT, "%s: median call: plain OkHttp %d bytes, podlb %d (+%d); 10th percentile:"
                        + " plain %d, podlb %d (+%d)%n", picker, plain[CALLS / 2], podlb[CALLS / 2],
                        podlb[CALLS / 2] - plain[CALLS / 2], plain[CALLS / 10], podlb[CALLS / 10],
                        podlb[CALLS / 10] - plain[CALLS / 10]);
            } finally {
                bench.stop();
            }
        }
    }
}
