package dev.podlb.core.health;

import dev.podlb.core.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * When a failing endpoint is taken out of rotation, and for how long. Two detectors, per endpoint:
 * <ul>
 * <li>consecutive failures (default 5): that many failures in a row, or more, eject; an atomic
 *     counter per endpoint, updated on the request path without a lock;</li>
 * <li>failure rate (off by default): at least that share of the last {@code window} calls failed,
 *     once {@code minimumCalls} have been seen; a resilience4j circuit breaker's sliding window
 *     per endpoint, made only when this detector is on.</li>
 * </ul>
 * An ejection lasts {@code baseEjectionTime} × the number of times the endpoint has been ejected,
 * at most {@code maxEjectionTime} (defaults 30 s and 300 s, as Envoy's outlier detection); each
 * {@code baseEjectionTime} spent healthy takes one off that count. When it ends, or when discovery
 * reports the pod ready again after it was not ready or absent, the endpoint is picked again on
 * trial: one success brings it back, one failure ejects it again; only calls started after the
 * readmission decide the trial.
 *
 * <p>Two limits keep ejection from making an outage worse, as in Envoy and gRPC:
 * <ul>
 * <li>{@code maxEjectionPercent} (default 10): at most this share of the candidates (ready
 *     endpoints) is ejected at once, and always at least one may be; a failing pod beyond it stays
 *     in rotation and is considered again after its next run of failures;</li>
 * <li>{@code panicThresholdPercent} (default 50): when fewer than this share of the candidates are
 *     healthy (not ejected), calls spread over all candidates, ejected or not (panic mode); with
 *     none healthy that happens whatever the threshold.</li>
 * </ul>
 *
 * <pre>{@code
 * EjectionPolicy.builder().consecutiveFailures(3).failureClassifier(FailureClassifier.gatewayErrors()
 *         .or(FailureClassifier.connectionFailures())).build();
 * }</pre>
 */
public final class EjectionPolicy {
    private static final EjectionPolicy DEFAULTS = builder().build();
    private static final EjectionPolicy DISABLED = builder().consecutiveFailures(0).build();

    private final int consecutiveFailures;
    private final float failureRatePercent;
    private final int failureRateWindow;
    private final int failureRateMinimumCalls;
    private final Duration baseEjectionTime;
    private final Duration maxEjectionTime;
    private final int maxEjectionPercent;
    private final int panicThresholdPercent;
    private final FailureClassifier failureClassifier;

    private EjectionPolicy(Builder b) {
        this.consecutiveFailures = b.consecutiveFailures;
        this.failureRatePercent = b.failureRatePercent;
        this.failureRateWindow = b.failureRateWindow;
        this.failureRateMinimumCalls = b.failureRateMinimumCalls;
        this.baseEjectionTime = b.baseEjectionTime;
        this.maxEjectionTime = b.maxEjectionTime;
        this.maxEjectionPercent = b.maxEjectionPercent;
        this.panicThresholdPercent = b.panicThresholdPercent;
        this.failureClassifier = b.failureClassifier;
    }

    /**
     * Five consecutive failures eject for 30 s × ejections, at most 300 s; at most 10% of the
     * candidates (at least one) ejected at once; panic below 50% healthy.
     */
    public static EjectionPolicy defaults() {
        return DEFAULTS;
    }

    /** Never eject. */
    public static EjectionPolicy disabled() {
        return DISABLED;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether any detector is on. */
    public boolean enabled() {
        return consecutiveFailures > 0 || failureRatePercent > 0;
    }

    /** Failures in a row that eject; 0 when off. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Failure rate, in percent, that ejects; 0 when off. */
    public float failureRatePercent() {
        return failureRatePercent;
    }

    public int failureRateWindow() {
        return failureRateWindow;
    }

    public int failureRateMinimumCalls() {
        return failureRateMinimumCalls;
    }

    public Duration baseEjectionTime() {
        return baseEjectionTime;
    }

    public Duration maxEjectionTime() {
        return maxEjectionTime;
    }

    /** At most this share of the candidates, in percent, is ejected at once; at least one always may be. */
    public int maxEjectionPercent() {
        return maxEjectionPercent;
    }

    /** Below this share of healthy candidates, in percent, calls spread over all of them (panic). */
    public int panicThresholdPercent() {
        return panicThresholdPercent;
    }

    /** How many of {@code candidates} may be ejected at once: {@link #maxEjectionPercent} of them, at least one. */
    public int maxEjected(int candidates) {
        return Math.max(1, (int) ((long) candidates * maxEjectionPercent / 100));
    }

    /** Whether {@code healthy} of {@code candidates} is too few, so that calls spread over all candidates. */
    public boolean isPanic(int healthy, int candidates) {
        return candidates > 0 && (healthy == 0 || (long) healthy * 100 < (long) candidates * panicThresholdPercent);
    }

    public FailureClassifier failureClassifier() {
        return failureClassifier;
    }

    /** How long the {@code ejections}-th ejection in a row lasts. */
    public Duration ejectionTime(int ejections) {
        Duration time = baseEjectionTime.multipliedBy(Math.max(1, ejections));
        return time.compareTo(maxEjectionTime) > 0 ? maxEjectionTime : time;
    }

    @Override
    public String toString() {
        if (!enabled()) {
            return "EjectionPolicy{disabled}";
        }
        return "EjectionPolicy{" + (consecutiveFailures > 0 ? consecutiveFailures + " consecutive failures, " : "")
                + (failureRatePercent > 0 ? failureRatePercent + "% of " + failureRateWindow + " calls (at least "
                + failureRateMinimumCalls + "), " : "")
                + "ejection " + baseEjectionTime + " x ejections, at most " + maxEjectionTime + ", at most "
                + maxEjectionPercent + "% ejected, panic below " + panicThresholdPercent + "% healthy}";
    }

    /** Builds an {@link EjectionPolicy}; {@link #build()} checks every setting. */
    public static final class Builder {
        private int consecutiveFailures = 5;
        private float failureRatePercent;
        private int failureRateWindow = 100;
        private int failureRateMinimumCalls = 20;
        private Duration baseEjectionTime = Duration.ofSeconds(30);
        private Duration maxEjectionTime = Duration.ofSeconds(300);
        private int maxEjectionPercent = 10;
        private int panicThresholdPercent = 50;
        private FailureClassifier failureClassifier = FailureClassifier.defaults();

        private Builder() {}

        /** This many failures in a row eject the endpoint; 0 turns this detector off. Default 5. */
        public Builder consecutiveFailures(int consecutiveFailures) {
            this.consecutiveFailures = consecutiveFailures;
            return this;
        }

        /**
         * Eject when at least {@code percent} of the last {@code window} calls failed, once
         * {@code minimumCalls} calls have been seen. Off by default.
         */
        public Builder failureRate(float percent, int window, int minimumCalls) {
            this.failureRatePercent = percent;
            this.failureRateWindow = window;
            this.failureRateMinimumCalls = minimumCalls;
            return this;
        }

        /** The first ejection's length; later ones last a multiple of it. Default 30 s. */
        public Builder baseEjectionTime(Duration baseEjectionTime) {
            this.baseEjectionTime = baseEjectionTime;
            return this;
        }

        /** No ejection lasts longer. Default 300 s. */
        public Builder maxEjectionTime(Duration maxEjectionTime) {
            this.maxEjectionTime = maxEjectionTime;
            return this;
        }

        /**
         * At most this share of the candidates, 0 to 100 percent, is ejected at once; at least one
         * always may be, so 0 means exactly one. Default 10, as Envoy and gRPC.
         */
        public Builder maxEjectionPercent(int percent) {
            this.maxEjectionPercent = percent;
            return this;
        }

        /**
         * When fewer than this share of the candidates, 0 to 100 percent, are healthy, calls spread
         * over all of them, ejected or not (panic mode). 0 panics only when none is healthy.
         * Default 50, as Envoy.
         */
        public Builder panicThresholdPercent(int percent) {
            this.panicThresholdPercent = percent;
            return this;
        }

        /** Which outcomes count as failures. Default: connection failures and any 5xx. */
        public Builder failureClassifier(FailureClassifier failureClassifier) {
            this.failureClassifier = Objects.requireNonNull(failureClassifier, "failureClassifier");
            return this;
        }

        public EjectionPolicy build() {
            if (consecutiveFailures < 0) {
                throw new IllegalArgumentException("ejection consecutiveFailures is " + consecutiveFailures
                        + "; expected 0 (off) or more");
            }
            if (failureRatePercent < 0 || failureRatePercent > 100 || Float.isNaN(failureRatePercent)) {
                throw new IllegalArgumentException("ejection failureRate percent is " + failureRatePercent
                        + "; expected 0 (off) to 100");
            }
            if (failureRatePercent > 0 && (failureRateWindow < 1 || failureRateMinimumCalls < 1
                    || failureRateMinimumCalls > failureRateWindow)) {
                throw new IllegalArgumentException("ejection failureRate window is " + failureRateWindow
                        + " calls with minimumCalls " + failureRateMinimumCalls
                        + "; expected a window of at least 1 and minimumCalls from 1 to the window");
            }
            if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
                throw new IllegalArgumentException("ejection maxEjectionPercent is " + maxEjectionPercent
                        + "; expected 0 to 100 (at least one pod may always be ejected), such as 10");
            }
            if (panicThresholdPercent < 0 || panicThresholdPercent > 100) {
                throw new IllegalArgumentException("ejection panicThresholdPercent is " + panicThresholdPercent
                        + "; expected 0 (panic only when no pod is healthy) to 100, such as 50");
            }
            Durations.requirePositive("ejection baseEjectionTime", baseEjectionTime, "PT30S");
            Durations.requirePositive("ejection maxEjectionTime", maxEjectionTime, "PT300S");
            if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
                throw new IllegalArgumentException("ejection maxEjectionTime " + maxEjectionTime
                        + " is shorter than baseEjectionTime " + baseEjectionTime + "; expected at least as long");
            }
            return new EjectionPolicy(this);
        }
    }
}
