package dev.podlb.core.pick;

import dev.podlb.core.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * How a pod that has just become ready is eased into rotation: over {@link #window()} its share
 * grows from {@link #minPercent()} of its weight to all of it, as Envoy's slow start does. At
 * {@code t} after the pod became ready its weight counts
 * {@code max(minPercent / 100, (t / window) ^ (1 / aggression))} times: an aggression of 1 ramps
 * linearly, a larger one gives more traffic early. Immutable; each setting is checked when set.
 *
 * <pre>{@code
 * LoadBalancer.builder("backend").picker(Pickers.roundRobin(SlowStart.of(Duration.ofSeconds(30))))...
 * LoadBalancer.builder("backend").picker(Pickers.leastRequest()
 *         .slowStart(SlowStart.of(Duration.ofSeconds(60)).aggression(2).minPercent(5)))...
 * }</pre>
 *
 * <p>A pod "becomes ready" when its load balancer first sees it ready after its first set of
 * endpoints: pods of the first set are not slowed, and neither is any pod while no pickable pod
 * is past its warm-up (at start-up, after every pod was replaced, or while every warm pod is
 * ejected), since slowing every pod would only slow the service.
 */
public final class SlowStart {
    private final Duration window;
    private final double aggression;
    private final double minPercent;

    private SlowStart(Duration window, double aggression, double minPercent) {
        this.window = window;
        this.aggression = aggression;
        this.minPercent = minPercent;
    }

    /** A linear ramp (aggression 1) over {@code window}, from 10% of the pod's weight. */
    public static SlowStart of(Duration window) {
        return new SlowStart(Durations.requirePositive("slow start window", window, "30s"), 1.0, 10.0);
    }

    /** This ramp with {@code aggression}: 1 is linear, 2 gives a new pod more traffic early, 0.5 less. */
    public SlowStart aggression(double aggression) {
        if (!(aggression > 0) || Double.isInfinite(aggression)) {
            throw new IllegalArgumentException("slow start aggression is " + aggression
                    + "; expected a positive number such as 1.0 (linear)");
        }
        return new SlowStart(window, aggression, minPercent);
    }

    /** This ramp starting from {@code minPercent} of the pod's weight: more than 0, at most 100. */
    public SlowStart minPercent(double minPercent) {
        if (!(minPercent > 0 && minPercent <= 100)) {
            throw new IllegalArgumentException("slow start minPercent is " + minPercent
                    + "; expected more than 0 and at most 100, such as 10");
        }
        return new SlowStart(window, aggression, minPercent);
    }

    public Duration window() {
        return window;
    }

    public double aggression() {
        return aggression;
    }

    public double minPercent() {
        return minPercent;
    }

    /** The share of its weight a pod ready for {@code readyNanos} counts: 1 once the window has passed. */
    double factor(long readyNanos) {
        long windowNanos = window.toNanos();
        if (readyNanos >= windowNanos) {
            return 1.0;
        }
        double ramp = Math.pow(Math.max(0, readyNanos) / (double) windowNanos, 1.0 / aggression);
        return Math.max(minPercent / 100.0, ramp);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SlowStart)) {
            return false;
        }
        SlowStart that = (SlowStart) o;
        return window.equals(that.window) && aggression == that.aggression && minPercent == that.minPercent;
    }

    @Override
    public int hashCode() {
        return Objects.hash(window, aggression, minPercent);
    }

    @Override
    public String toString() {
        return "slow start over " + window + " (aggression " + aggression + ", from " + minPercent + "%)";
    }
}
