package dev.podlb.okhttp;

/**
 * A service's hedging delay at run time: fixed, or a percentile of its last 1,000 answers' times
 * to response headers, recomputed every 100 answers. Recorded and read on the threads that run
 * calls: the window is guarded by this object, the current delay is a volatile read.
 */
final class HedgeDelay {
    private static final int WINDOW = 1000;
    private static final int RECOMPUTE_EVERY = 100;

    private final long initialNanos;
    private final double percentile;
    private final long[] window;
    private int recorded;
    private volatile long delayNanos;

    HedgeDelay(Hedging hedging) {
        this.initialNanos = hedging.delay().toNanos();
        this.percentile = hedging.percentile();
        this.window = percentile == 0 ? null : new long[WINDOW];
        this.delayNanos = initialNanos;
    }

    long nanos() {
        return delayNanos;
    }

    /** An attempt of the service was answered after {@code nanos}. */
    void answered(long nanos) {
        if (window == null) {
            return;
        }
        long[] sorted;
        synchronized (this) {
            window[recorded % WINDOW] = nanos;
            recorded++;
            if (recorded % RECOMPUTE_EVERY != 0) {
                return;
            }
            sorted = java.util.Arrays.copyOf(window, Math.min(recorded, WINDOW));
        }
        java.util.Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.ceil(percentile / 100 * sorted.length) - 1);
        delayNanos = Math.max(sorted[Math.max(0, index)], 1_000_000);
    }
}
