package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The endpoint weights pickers honour ({@link Endpoint#weight()}, from DNS SRV records), and the
 * tables built from them. Reading RFC 2782's "weight 0 has a very small chance" strictly: a pod
 * of weight 0 is never picked while a pickable pod has a weight above 0, and when every pickable
 * pod has weight 0 they are picked evenly.
 */
final class Weights {
    /**
     * The most entries a table holds: weights whose sum (after dividing by their greatest common
     * divisor) is larger are scaled down to it, each staying at least 1, so shares are kept to
     * within about one part in this divided by the endpoint count.
     */
    static final int MAX_TABLE = 1 << 16;

    private Weights() {}

    /** The endpoints a weighted picker chooses among: the pickable ones, less those of weight 0 if any other has weight. */
    static Endpoint[] candidates(List<Endpoint> pickable) {
        List<Endpoint> weighted = new ArrayList<>(pickable.size());
        for (Endpoint e : pickable) {
            if (e.weight() > 0) {
                weighted.add(e);
            }
        }
        return (weighted.isEmpty() ? pickable : weighted).toArray(new Endpoint[0]);
    }

    /** Each endpoint's weight, 1 for all when every one has weight 0. */
    static int[] of(Endpoint[] endpoints) {
        int[] weights = new int[endpoints.length];
        for (int i = 0; i < endpoints.length; i++) {
            weights[i] = Math.max(1, endpoints[i].weight());
        }
        return weights;
    }

    static boolean allEqual(int[] weights) {
        for (int w : weights) {
            if (w != weights[0]) {
                return false;
            }
        }
        return true;
    }

    /** {@code weights} divided by their greatest common divisor, then scaled to sum to about {@link #MAX_TABLE} at most. */
    static int[] reduced(int[] weights) {
        int gcd = 0;
        long total = 0;
        for (int w : weights) {
            gcd = gcd(gcd, w);
            total += w;
        }
        int[] reduced = new int[weights.length];
        total /= gcd;
        double scale = total > MAX_TABLE ? (double) MAX_TABLE / total : 1.0;
        for (int i = 0; i < weights.length; i++) {
            reduced[i] = Math.max(1, (int) Math.round(weights[i] / gcd * scale));
        }
        return reduced;
    }

    /**
     * The endpoint indices in the order smooth weighted round-robin (nginx's) visits them over one
     * period of {@code weights}' sum: at each turn every endpoint's current value grows by its
     * weight, the largest (the lowest index among equals) is picked and loses the weights' sum.
     * So weights 5, 1, 1 give 0 0 1 0 2 0 0, never a run of one endpoint's turns together.
     *
     * <p>Endpoints of equal weight take their turns among themselves in index order, so the
     * turn is found among the distinct weights, not all endpoints: one period costs its length
     * times the number of distinct weights, which is small in practice.
     */
    static int[] smoothSchedule(int[] weights) {
        TreeMap<Integer, List<Integer>> byWeight = new TreeMap<>();
        long total = 0;
        for (int i = 0; i < weights.length; i++) {
            byWeight.computeIfAbsent(weights[i], w -> new ArrayList<>()).add(i);
            total += weights[i];
        }
        int classes = byWeight.size();
        long[] classWeight = new long[classes];
        int[][] members = new int[classes][];
        int c = 0;
        for (var entry : byWeight.entrySet()) {
            classWeight[c] = entry.getKey();
            members[c] = entry.getValue().stream().mapToInt(Integer::intValue).toArray();
            c++;
        }
        long[] turnsTaken = new long[classes];
        int[] schedule = new int[Math.toIntExact(total)];
        for (int t = 1; t <= schedule.length; t++) {
            int best = -1;
            long bestValue = Long.MIN_VALUE;
            int bestIndex = Integer.MAX_VALUE;
            for (c = 0; c < classes; c++) {
                int size = members[c].length;
                // The class's next endpoint has taken turnsTaken / size turns; its current value is
                // t * weight less the total for each turn it took.
                long value = t * classWeight[c] - total * (turnsTaken[c] / size);
                int index = members[c][(int) (turnsTaken[c] % size)];
                if (value > bestValue || value == bestValue && index < bestIndex) {
                    best = c;
                    bestValue = value;
                    bestIndex = index;
                }
            }
            turnsTaken[best]++;
            schedule[t - 1] = bestIndex;
        }
        return schedule;
    }

    /** Each endpoint index repeated as often as its weight: a uniform draw from it is a draw by weight. */
    static int[] drawTable(int[] weights) {
        int total = Arrays.stream(weights).sum();
        int[] table = new int[total];
        int next = 0;
        for (int i = 0; i < weights.length; i++) {
            Arrays.fill(table, next, next + weights[i], i);
            next += weights[i];
        }
        return table;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int r = a % b;
            a = b;
            b = r;
        }
        return a;
    }
}
