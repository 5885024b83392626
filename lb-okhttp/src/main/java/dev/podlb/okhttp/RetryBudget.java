package dev.podlb.okhttp;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How many retries a service's calls may add, so that retries cannot multiply the load on a
 * struggling service: over the last {@code ttl}, retries may number at most {@code ratio} of the
 * calls plus {@code minRetriesPerSecond} for every second of it. Finagle's and Linkerd's retry
 * budgets work the same way, and podlb's defaults are theirs: 20% plus 10 retries per second, over
 * 10 seconds. A call whose retry the budget refuses fails with its last error (or returns its last
 * response), and the {@link CallListener} hears of it.
 *
 * <pre>{@code
 * RetryBudget.defaults()
 * RetryBudget.builder().ratio(0.1).minRetriesPerSecond(5).build()
 * RetryBudget.unlimited()   // every retry the policy allows, as without a budget
 * }</pre>
 */
public final class RetryBudget {
    private static final RetryBudget DEFAULTS = builder().build();
    private static final RetryBudget UNLIMITED = new RetryBudget(Double.POSITIVE_INFINITY, 0, Duration.ofSeconds(10));

    private final double ratio;
    private final int minRetriesPerSecond;
    private final Duration ttl;

    private RetryBudget(double ratio, int minRetriesPerSecond, Duration ttl) {
        this.ratio = ratio;
        this.minRetriesPerSecond = minRetriesPerSecond;
        this.ttl = ttl;
    }

    /** 20% of the calls plus 10 retries a second, over the last 10 seconds. */
    public static RetryBudget defaults() {
        return DEFAULTS;
    }

    /** No limit beyond each call's own {@code maxAttempts}. */
    public static RetryBudget unlimited() {
        return UNLIMITED;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Retries allowed per call; infinite when unlimited. */
    public double ratio() {
        return ratio;
    }

    /** Retries allowed every second whatever the traffic, so that a quiet service can still retry. */
    public int minRetriesPerSecond() {
        return minRetriesPerSecond;
    }

    /** How long a call or a retry counts towards the budget. */
    public Duration ttl() {
        return ttl;
    }

    boolean isUnlimited() {
        return this == UNLIMITED;
    }

    @Override
    public String toString() {
        return isUnlimited() ? "RetryBudget{unlimited}"
                : String.format(Locale.ROOT, "RetryBudget{%.0f%% of calls + %d/s over %s}", ratio * 100, minRetriesPerSecond, ttl);
    }

    public static final class Builder {
        private double ratio = 0.2;
        private int minRetriesPerSecond = 10;
        private Duration ttl = Duration.ofSeconds(10);

        private Builder() {}

        /** Retries allowed per call, from 0 to 1. Default 0.2. */
        public Builder ratio(double ratio) {
            this.ratio = ratio;
            return this;
        }

        /** Retries allowed every second whatever the traffic. Default 10. */
        public Builder minRetriesPerSecond(int minRetriesPerSecond) {
            this.minRetriesPerSecond = minRetriesPerSecond;
            return this;
        }

        /** How long a call or a retry counts towards the budget, 1 second or more. Default 10 seconds. */
        public Builder ttl(Duration ttl) {
            this.ttl = Objects.requireNonNull(ttl, "retry budget ttl");
            return this;
        }

        public RetryBudget build() {
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new IllegalArgumentException("retry budget ratio is " + ratio + "; expected 0 to 1, such as 0.2");
            }
            if (minRetriesPerSecond < 0) {
                throw new IllegalArgumentException("retry budget minRetriesPerSecond is " + minRetriesPerSecond
                        + "; expected 0 or more, such as 10");
            }
            if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("retry budget ttl is " + ttl + "; expected 1 second to 1 minute, such as 10s");
            }
            return new RetryBudget(ratio, minRetriesPerSecond, ttl);
        }
    }
}
