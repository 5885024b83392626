package dev.podlb.core.pick;

import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The slow-start factors of one picker's endpoints, as time passes: a picker is rebuilt only
 * when its endpoints or their health change, so the factors are recomputed at pick time, at most
 * once every hundredth of the window, by whichever request thread first finds them due; the
 * others keep reading the previous {@link Factors} meanwhile. Once every endpoint is past its
 * window a pick reads one volatile field and not the clock.
 */
final class Ramp {
    /** When an endpoint "became ready" that was never slowed: it was there first, or nothing was warm when it came. */
    static final long WARM = Long.MIN_VALUE;
    private static final long NEVER = Long.MAX_VALUE;
    private static final long MIN_REFRESH_NANOS = Duration.ofMillis(1).toNanos();
    private static final long MAX_REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final SlowStart settings;
    private final Scheduler clock;
    /** When each endpoint became ready, by the picker's index; {@link #WARM} for one never slowed. */
    private final long[] readySince;
    private final long refreshNanos;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Factors current;

    Ramp(SlowStart settings, Scheduler clock, long[] readySince) {
        this.settings = settings;
        this.clock = clock;
        this.readySince = readySince;
        this.refreshNanos = Math.min(MAX_REFRESH_NANOS, Math.max(MIN_REFRESH_NANOS, settings.window().toNanos() / 100));
        this.current = compute(clock.nanoTime());
    }

    /** The factors now; their {@link Factors#slowed} is {@code null} when no endpoint is slowed. Any thread. */
    Factors factors() {
        Factors f = current;
        if (f.refreshAtNanos != NEVER) {
            long now = clock.nanoTime();
            if (now - f.refreshAtNanos >= 0 && refreshing.compareAndSet(false, true)) {
                try {
                    f = compute(now);
                    current = f;
                } finally {
                    refreshing.set(false);
                }
            }
        }
        return f;
    }

    private Factors compute(long now) {
        double[] factor = new double[readySince.length];
        boolean anyWarm = false;
        boolean anyWarming = false;
        for (int i = 0; i < factor.length; i++) {
            factor[i] = readySince[i] == WARM ? 1.0 : settings.factor(now - readySince[i]);
            anyWarm |= factor[i] >= 1.0;
            anyWarming |= factor[i] < 1.0;
        }
        if (!anyWarming) {
            return new Factors(NEVER, null);
        }
        // While no endpoint is past its warm-up, slowing them all would only slow the service.
        return new Factors(now + refreshNanos, anyWarm ? factor : null);
    }

    @Override
    public String toString() {
        return settings.toString();
    }

    /** One moment's factors; immutable but for the round-robin credits, which request threads share. */
    static final class Factors {
        final long refreshAtNanos;
        /** Each endpoint's share of its weight now, 1 when warm; {@code null} when none is slowed. */
        final double[] slowed;
        /**
         * Round-robin's turns a slowed endpoint has saved up. Read and written plainly by every
         * thread: a lost update costs a turn's evenness, never a wrong endpoint.
         */
        private final double[] credit;

        Factors(long refreshAtNanos, double[] slowed) {
            this.refreshAtNanos = refreshAtNanos;
            this.slowed = slowed;
            this.credit = slowed == null ? null : new double[slowed.length];
        }

        /**
         * Whether round-robin's turn for endpoint {@code i} goes to it: every turn for a warm one,
         * for a slowed one a share of turns equal to its factor, spread evenly.
         */
        boolean takesTurn(int i) {
            double factor = slowed[i];
            if (factor >= 1.0) {
                return true;
            }
            double saved = credit[i] + factor;
            if (saved >= 1.0) {
                credit[i] = saved - 1.0;
                return true;
            }
            credit[i] = saved;
            return false;
        }
    }
}
