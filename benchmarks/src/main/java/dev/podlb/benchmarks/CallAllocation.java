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
 * alone. Printed: the median call, and the median of the calls that took no new okio segment
 * (8 KiB): okio pools segments per bucket of threads, shared here with the server's threads, so a
 * call allocates one or not by luck of the pool (in some runs one client's every call does), which
 * hides differences of a few hundred bytes.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.CallAllocation</pre>
 */
public final class CallAllocation {
    private static final int CALLS = 40_000;
    private static final long SEGMENT_BYTES = 8192;

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
                long plainNoSegment = medianWithoutSegment(plain);
                long podlbNoSegment = medianWithoutSegment(podlb);
                System.out.printf(Locale.ROOT, "%s: median call: plain OkHttp %d bytes, podlb %d (+%d); without a new"
                        + " okio segment: plain %d, podlb %d (+%d)%n", picker, plain[CALLS / 2], podlb[CALLS / 2],
                        podlb[CALLS / 2] - plain[CALLS / 2], plainNoSegment, podlbNoSegment, podlbNoSegment - plainNoSegment);
            } finally {
                bench.stop();
            }
        }
    }

    /** The median of the sorted {@code bytes} that are less than an okio segment above the fewest. */
    private static long medianWithoutSegment(long[] bytes) {
        int count = 0;
        while (count < bytes.length && bytes[count] < bytes[0] + SEGMENT_BYTES) {
            count++;
        }
        return bytes[count / 2];
    }
}
