package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Least-request by the power of two choices, as Envoy's and gRPC's {@code least_request}: each
 * pick draws two endpoints at random (by weight) and takes the one with fewer requests in flight
 * for its weight. Comparing two random endpoints, rather than searching all, costs the same at
 * 10 pods or 1,000 and never sends every client's next request to the same idle pod.
 *
 * <p>{@link #latencyAware(boolean) Latency-aware}, it compares Linkerd's and Finagle's Peak-EWMA
 * cost instead: {@code latency × (in flight + 1) / weight}, where latency is the pod's
 * {@link EndpointStats#latencyNanos() Peak-EWMA} decayed over the time since its last sample (so
 * a pod left alone after a slow spell is tried again), and a pod whose latest calls failed costs
 * at least what its rival does, times {@link #failurePenalty} for each failure in a row: a pod
 * that answers 503 at once cannot look fast. That penalty fades to nothing over the
 * {@link #latencyDecay} since the pod's last answer, as its latency does, so a pod that failed a
 * few calls in a blip is tried again within the decay time (and back to its share once it answers
 * well) rather than starved; one that keeps failing adds to its run until outlier ejection takes
 * it out. A pod with no sample yet competes on load alone.
 * Without it, failures are left to outlier ejection, as in Envoy.
 *
 * <pre>{@code
 * LoadBalancer.builder("backend").picker(Pickers.leastRequest())...
 * LoadBalancer.builder("backend").picker(Pickers.leastRequest().latencyAware(true)
 *         .slowStart(SlowStart.of(Duration.ofSeconds(30))))...
 * }</pre>
 *
 * <p>Immutable: each method returns a changed copy, checking its setting at once. A pick takes
 * no lock and allocates nothing.
 */
public final class LeastRequest implements PickerPolicy {
    static final LeastRequest DEFAULT = new LeastRequest(2, false, Duration.ofSeconds(10), 2.0, null);

    private final int choices;
    private final boolean latencyAware;
    private final Duration latencyDecay;
    private final double failurePenalty;
    private final SlowStart slowStart;

    private LeastRequest(int choices, boolean latencyAware, Duration latencyDecay, double failurePenalty,
                         SlowStart slowStart) {
        this.choices = choices;
        this.latencyAware = latencyAware;
        this.latencyDecay = latencyDecay;
        this.failurePenalty = failurePenalty;
        this.slowStart = slowStart;
    }

    /** Draws {@code choices} endpoints per pick (2 by default, as Envoy and gRPC): more follows load more closely and herds more. */
    public LeastRequest choices(int choices) {
        if (choices < 2 || choices > 100) {
            throw new IllegalArgumentException("least-request choices is " + choices
                    + "; expected 2 to 100, such as 2 (the power of two choices)");
        }
        return new LeastRequest(choices, latencyAware, latencyDecay, failurePenalty, slowStart);
    }

    /** Whether picks weigh each pod's latency and recent failures (Peak-EWMA), not only its requests in flight. */
    public LeastRequest latencyAware(boolean latencyAware) {
        if (!latencyAware && (!latencyDecay.equals(DEFAULT.latencyDecay) || failurePenalty != DEFAULT.failurePenalty)) {
            throw new IllegalArgumentException("least-request latencyAware(false) would ignore the latencyDecay "
                    + latencyDecay + " and failurePenalty " + failurePenalty + " set before; expected them only"
                    + " with latencyAware(true)");
        }
        return new LeastRequest(choices, latencyAware, latencyDecay, failurePenalty, slowStart);
    }

    /**
     * How fast a pod's latency is forgotten while it takes no call (10 s by default, as Linkerd's
     * and Finagle's): a pod that was slow is tried again once its decayed latency makes it the
     * cheaper of two. Only with {@link #latencyAware(boolean) latencyAware(true)}.
     */
    public LeastRequest latencyDecay(Duration latencyDecay) {
        requireLatencyAware("latencyDecay");
        return new LeastRequest(choices, true, Durations.requirePositive("least-request latencyDecay", latencyDecay,
                "10s"), failurePenalty, slowStart);
    }

    /**
     * How much each failure in a row multiplies a pod's cost, from 1 to 100 (2 by default); the
     * penalty fades to none over the {@link #latencyDecay} after the pod's last answer. Only with
     * {@link #latencyAware(boolean) latencyAware(true)}.
     */
    public LeastRequest failurePenalty(double failurePenalty) {
        requireLatencyAware("failurePenalty");
        if (!(failurePenalty >= 1 && failurePenalty <= 100)) {
            throw new IllegalArgumentException("least-request failurePenalty is " + failurePenalty
                    + "; expected 1 to 100, such as 2 (each failure in a row doubles a pod's cost)");
        }
        return new LeastRequest(choices, true, latencyDecay, failurePenalty, slowStart);
    }

    /** Eases each new pod into rotation as {@code slowStart} says. */
    public LeastRequest slowStart(SlowStart slowStart) {
        return new LeastRequest(choices, latencyAware, latencyDecay, failurePenalty,
                Objects.requireNonNull(slowStart, "slowStart"));
    }

    private void requireLatencyAware(String setting) {
        if (!latencyAware) {
            throw new IllegalArgumentException("least-request " + setting + " applies only to a latency-aware"
                    + " least-request; expected latencyAware(true) before it");
        }
    }

    public int choices() {
        return choices;
    }

    public boolean latencyAware() {
        return latencyAware;
    }

    public Duration latencyDecay() {
        return latencyDecay;
    }

    public double failurePenalty() {
        return failurePenalty;
    }

    /** The slow start, or {@code null} when new pods take their full share at once. */
    public SlowStart slowStart() {
        return slowStart;
    }

    @Override
    public PickerInstance newInstance(PickerContext context) {
        return new Instance(this, slowStart == null ? null : new WarmUp(slowStart, context.scheduler()));
    }

    /** Latency when {@link #latencyAware(boolean) latency-aware}; requests in flight per endpoint alone otherwise. */
    @Override
    public Set<LiveFigure> reads() {
        return latencyAware ? Set.of(LiveFigure.LATENCY) : Set.of();
    }

    @Override
    public String toString() {
        return "least-request (" + choices + " choices"
                + (latencyAware ? ", latency-aware: Peak-EWMA decaying over " + latencyDecay + ", failure penalty x"
                        + failurePenalty : "")
                + ")" + (slowStart == null ? "" : " with " + slowStart);
    }

    /** One load balancer's least-request: with slow start, when each pod became ready. Serial context only. */
    private static final class Instance implements PickerInstance {
        private final LeastRequest settings;
        private final WarmUp warmUp;
        private final LeastRequestPicker.Cost cost;

        Instance(LeastRequest settings, WarmUp warmUp) {
            this.settings = settings;
            this.warmUp = warmUp;
            this.cost = settings.latencyAware
                    ? new LeastRequestPicker.Cost(settings.latencyDecay, settings.failurePenalty) : null;
        }

        @Override
        public Picker newPicker(PickableEndpoints pickable) {
            Endpoint[] endpoints = Weights.candidates(pickable.endpoints());
            Ramp ramp = warmUp == null ? null : warmUp.ramp(pickable, endpoints);
            if (endpoints.length == 1) {
                Endpoint only = endpoints[0];
                return request -> only;
            }
            EndpointStats[] stats = new EndpointStats[endpoints.length];
            for (int i = 0; i < endpoints.length; i++) {
                stats[i] = pickable.stats(endpoints[i]);
            }
            int[] weights = Weights.of(endpoints);
            boolean weighted = !Weights.allEqual(weights);
            if (!weighted && ramp == null && cost == null && settings.choices == 2) {
                return new LeastRequestPicker.TwoChoices(endpoints, stats);
            }
            return new LeastRequestPicker(endpoints, stats, weighted ? weights : null,
                    weighted ? Weights.drawTable(Weights.reduced(weights)) : null, settings.choices, cost, ramp);
        }

        @Override
        public String toString() {
            return settings.toString();
        }
    }
}
