package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link LeastRequest}'s picker: draws its choices at random, by weight and, while a pod warms up,
 * by its slow-start factor, and keeps the cheapest. Immutable; picks from any number of threads
 * at once, reading the endpoints' live {@link EndpointStats} and each thread's own
 * {@link ThreadLocalRandom}, with no lock and no allocation. Ties go to the first drawn, so with
 * no load at all the shares are those of the draws: the weights.
 */
final class LeastRequestPicker implements Picker {
    /**
     * Draws made again when a weighted draw hits the endpoint already chosen (then one of the
     * others is drawn evenly) or a slowed pod declines its draw (then the draw stands).
     */
    private static final int REDRAWS = 32;

    private final Endpoint[] endpoints;
    private final EndpointStats[] stats;
    /** Each endpoint's weight; {@code null} when all are equal. */
    private final int[] weights;
    /** Endpoint indices, each as often as its weight, to draw from; {@code null} when all are equal. */
    private final int[] table;
    private final int choices;
    /** Peak-EWMA's cost; {@code null} to compare requests in flight alone. */
    private final Cost cost;
    /** {@code null} without slow start. */
    private final Ramp ramp;

    LeastRequestPicker(Endpoint[] endpoints, EndpointStats[] stats, int[] weights, int[] table, int choices, Cost cost,
                       Ramp ramp) {
        this.endpoints = endpoints;
        this.stats = stats;
        this.weights = weights;
        this.table = table;
        this.choices = choices;
        this.cost = cost;
        this.ramp = ramp;
    }

    @Override
    public Endpoint pick(PickRequest request) {
        double[] slowed = null;
        if (ramp != null) {
            slowed = ramp.factors().slowed;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int best = draw(random, slowed, -1);
        for (int c = 1; c < choices; c++) {
            int other = draw(random, slowed, best);
            if (other != best && cheaper(other, best, slowed)) {
                best = other;
            }
        }
        return endpoints[best];
    }

    /** An endpoint drawn by weight and slow-start factor, never {@code avoid} (-1 for none). */
    private int draw(ThreadLocalRandom random, double[] slowed, int avoid) {
        int n = endpoints.length;
        for (int redraws = 0; ; redraws++) {
            int i;
            if (table == null) {
                i = -1;
            } else {
                i = table[below(random.nextInt(), table.length)];
                if (i == avoid && redraws < REDRAWS) {
                    continue;
                }
            }
            if (i < 0 || i == avoid) {
                // Uniform, and when avoiding one, among the others: two choices are always two endpoints.
                i = avoid < 0 ? below(random.nextInt(), n) : avoid + 1 + below(random.nextInt(), n - 1);
                i = i >= n ? i - n : i;
            }
            if (slowed == null || slowed[i] >= 1.0 || redraws >= REDRAWS || random.nextDouble() < slowed[i]) {
                return i;
            }
        }
    }

    private boolean cheaper(int x, int y, double[] slowed) {
        double wx = weight(x, slowed);
        double wy = weight(y, slowed);
        if (cost == null) {
            // In flight per unit of weight, cross-multiplied: no division on the request path.
            return stats[x].inFlight() * wy < stats[y].inFlight() * wx;
        }
        return cost.cheaper(stats[x], wx, stats[y], wy);
    }

    private double weight(int i, double[] slowed) {
        double w = weights == null ? 1.0 : weights[i];
        return slowed == null ? w : w * slowed[i];
    }

    /** A uniform integer in [0, bound) from 32 random bits, by multiplying rather than dividing. */
    static int below(int random, int bound) {
        return (int) (((random & 0xFFFFFFFFL) * bound) >>> 32);
    }

    @Override
    public String toString() {
        return "least-request over " + endpoints.length + " endpoints (" + choices + " choices"
                + (weights == null ? "" : ", weighted") + (cost == null ? "" : ", " + cost) + ")"
                + (ramp == null ? "" : " with " + ramp);
    }

    /**
     * Peak-EWMA's cost of one pod, as Linkerd and Finagle compute it:
     * {@code latency × (in flight + 1)}, over the pod's weight, with a penalty for failures in a
     * row that fades over the decay time. Immutable.
     */
    static final class Cost {
        /** Failures in a row beyond this count as this many: the penalty stops growing. */
        private static final int MAX_FAILURES = 16;
        /** Exponents of the decay between two pods' samples are kept within this, so costs stay finite. */
        private static final double MAX_EXPONENT = 200;
        private static final double SMALL_EXPONENT = 0x1p-10;

        private final Duration decay;
        private final double failurePenalty;
        private final double perNano;
        private final long decayNanos;
        /** {@code failurePenalty} to the power of each count of failures in a row, from 0. */
        private final double[] penalties = new double[MAX_FAILURES + 1];

        Cost(Duration decay, double failurePenalty) {
            this.decay = decay;
            this.failurePenalty = failurePenalty;
            this.perNano = 1.0 / decay.toNanos();
            this.decayNanos = decay.toNanos();
            for (int k = 0; k <= MAX_FAILURES; k++) {
                penalties[k] = Math.pow(failurePenalty, k);
            }
        }

        /**
         * Whether {@code x}, of weight {@code wx}, costs less now than {@code y}, of weight {@code wy}.
         * Both latencies decay by {@code exp(-elapsed / decay)} since their last sample; comparing
         * them needs only the decay between the two samples, so the clock is not read.
         */
        boolean cheaper(EndpointStats x, double wx, EndpointStats y, double wy) {
            long ownX = x.latencyNanos();
            long ownY = y.latencyNanos();
            double latencyX;
            double latencyY;
            if (ownX == 0 || ownY == 0) {
                // One has no sample yet: compare load alone rather than guess a latency.
                latencyX = 1.0;
                latencyY = 1.0;
            } else {
                latencyX = ownX;
                latencyY = ownY * decayed((y.latencyUpdatedNanos() - x.latencyUpdatedNanos()) * perNano);
            }
            int failuresX = x.consecutiveFailures();
            int failuresY = y.consecutiveFailures();
            if ((failuresX | failuresY) == 0) {
                return latencyX * (x.inFlight() + 1) * wy < latencyY * (y.inFlight() + 1) * wx;
            }
            // The rival's latest sample stands for now: a failure run fades over the time since its own.
            long ageX = y.latencyUpdatedNanos() - x.latencyUpdatedNanos();
            long ageY = -ageX;
            boolean failingX = failuresX > 0 && ageX < decayNanos;
            boolean failingY = failuresY > 0 && ageY < decayNanos;
            // A failing pod's own latency says how fast it fails: it costs at least what its rival does.
            double effectiveX = failingX ? Math.max(latencyX, latencyY) * penalty(failuresX, ageX) : latencyX;
            double effectiveY = failingY ? Math.max(latencyY, latencyX) * penalty(failuresY, ageY) : latencyY;
            return effectiveX * (x.inFlight() + 1) * wy < effectiveY * (y.inFlight() + 1) * wx;
        }

        /**
         * What {@code failures} in a row multiply a pod's cost by, {@code ageNanos} (less than the
         * decay time) after its last sample: the full penalty at first, fading linearly to none
         * over the decay time. A pod that is not picked cannot succeed to end its run, so without
         * the fade a few failures in a blip would keep it out for good; once the penalty has faded
         * it is tried, and its next answer either ends the run or adds to it (for outlier ejection
         * to count).
         */
        private double penalty(int failures, long ageNanos) {
            int counted = Math.min(MAX_FAILURES, failures);
            if (ageNanos <= 0) {
                return penalties[counted];
            }
            return Math.pow(failurePenalty, counted * (1.0 - ageNanos * perNano));
        }

        /** {@code exp(exponent)}, by its series when the two samples are close in time, as under load they are. */
        private static double decayed(double exponent) {
            if (exponent > -SMALL_EXPONENT && exponent < SMALL_EXPONENT) {
                return 1.0 + exponent + exponent * exponent * 0.5;
            }
            return Math.exp(Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, exponent)));
        }

        @Override
        public String toString() {
            return "Peak-EWMA decaying over " + decay + ", failure penalty x" + failurePenalty;
        }
    }

    /** The common case, kept apart to stay small: two choices, equal weights, no slow start, requests in flight alone. */
    static final class TwoChoices implements Picker {
        private final Endpoint[] endpoints;
        private final EndpointStats[] stats;

        TwoChoices(Endpoint[] endpoints, EndpointStats[] stats) {
            this.endpoints = endpoints;
            this.stats = stats;
        }

        @Override
        public Endpoint pick(PickRequest request) {
            int n = endpoints.length;
            long random = ThreadLocalRandom.current().nextLong();
            int a = below((int) (random >>> 32), n);
            // The second choice is one of the others, so two choices are always two endpoints.
            int b = a + 1 + below((int) random, n - 1);
            // Masks, not branches: which way these go is random, and a branch guessed wrong half
            // the time would cost more than the rest of the pick.
            b -= n & ((n - 1 - b) >> 31);
            int bIsLess = (stats[b].inFlight() - stats[a].inFlight()) >> 31;
            return endpoints[a ^ ((a ^ b) & bIsLess)];
        }

        @Override
        public String toString() {
            return "least-request over " + endpoints.length + " endpoints (2 choices)";
        }
    }
}
