package dev.podlb.okhttp;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * When an idempotent call sends a second attempt to another pod while the first is still
 * unanswered: the first response to arrive wins, and the other attempt is cancelled and charged to
 * its pod as neither a success nor a failure. Hedges draw from the service's {@link RetryBudget},
 * so they cannot multiply the load on a struggling service. Off unless set on the service.
 *
 * <pre>{@code
 * Hedging.after(Duration.ofMillis(50))                       // a fixed delay
 * Hedging.atPercentile(95, Duration.ofMillis(50))            // the service's recent p95, 50 ms until known
 * }</pre>
 */
public final class Hedging {
    private final Duration delay;
    private final double percentile;

    private Hedging(Duration delay, double percentile) {
        this.delay = delay;
        this.percentile = percentile;
    }

    /** A second attempt goes out once the first has gone {@code delay} unanswered. */
    public static Hedging after(Duration delay) {
        return new Hedging(checked(delay), 0);
    }

    /**
     * A second attempt goes out once the first has gone unanswered longer than {@code percentile}
     * percent of the service's recent answers (its last 1,000, time to response headers); until
     * 100 are known, after {@code initialDelay}.
     */
    public static Hedging atPercentile(double percentile, Duration initialDelay) {
        if (!(percentile >= 50 && percentile < 100)) {
            throw new IllegalArgumentException("hedging percentile is " + percentile
                    + "; expected 50 or more and below 100, such as 95");
        }
        return new Hedging(checked(initialDelay), percentile);
    }

    private static Duration checked(Duration delay) {
        Objects.requireNonNull(delay, "hedging delay");
        if (delay.toMillis() < 1 || delay.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("hedging delay is " + delay + "; expected 1 ms to 1 minute, such as 50ms");
        }
        return delay;
    }

    /** The fixed delay, or the delay until the percentile is known. */
    public Duration delay() {
        return delay;
    }

    /** The percentile of recent answers that sets the delay, or 0 for a fixed delay. */
    public double percentile() {
        return percentile;
    }

    @Override
    public String toString() {
        return percentile == 0 ? "Hedging{after " + delay + "}"
                : String.format(Locale.ROOT, "Hedging{at p%.1f, %s until known}", percentile, delay);
    }
}
