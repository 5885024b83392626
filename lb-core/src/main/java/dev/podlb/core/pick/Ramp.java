package dev.podlb.core.pick;

import dev.podlb.core.time.Scheduler;
import java.lang.ref.WeakReference;
import java.time.Duration;

/**
 * The slow-start factors of one picker's endpoints, as time passes. A picker is rebuilt only when
 * its endpoints or their health change, so the factors are recomputed on the load balancer's
 * scheduler, every hundredth of the window (at least every second), and published in one
 * volatile field: a pick reads that field and never the clock. The timer holds the ramp weakly,
 * so the chain of recomputations ends when the picker is dropped, and it ends anyway once every
 * endpoint is past its window.
 */
final class Ramp {
    /** When an endpoint "became ready" that was never slowed: it was there first, or nothing was warm when it came. */
    static final long WARM = Long.MIN_VALUE;
    private static final long MIN_REFRESH_NANOS = Duration.ofMillis(1).toNanos();
    private static final long MAX_REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final SlowStart settings;
    private final Scheduler clock;
    /** When each endpoint became ready, by the picker's index; {@link #WARM} for one never slowed. */
    private final long[] readySince;
    private final Duration refresh;
    private volatile Factors current;

    Ramp(SlowStart settings, Scheduler clock, long[] readySince) {
        this.settings = settings;
        this.clock = clock;
        this.readySince = readySince;
        this.refresh = Duration.ofNanos(Math.min(MAX_REFRESH_NANOS, Math.max(MIN_REFRESH_NANOS,
                settings.window().toNanos() / 100)));
        this.current = compute(clock.nanoTime());
        if (!current.last) {
            scheduleRefresh(new WeakReference<>(this), clock, refresh);
        }
    }

    /** The factors now; their {@link Factors#slowed} is {@code null} when no endpoint is slowed. Any thread. */
    Factors factors() {
        return current;
    }

    /** Static, so that the scheduled task holds the ramp only through {@code ramp}; the task runs on the scheduler's thread. */
    private static void scheduleRefresh(WeakReference<Ramp> ramp, Scheduler clock, Duration refresh) {
        clock.schedule(refresh, () -> {
            Ramp alive = ramp.get();
            if (alive == null) {
                return;
            }
            Factors next = alive.compute(clock.nanoTime());
            alive.current = next;
            if (!next.last) {
                scheduleRefresh(ramp, clock, refresh);
            }
        });
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
            return new Factors(true, null);
        }
        // While no endpoint is past its warm-up, slowing them all would only slow the service.
        return new Factors(false, anyWarm ? factor : null);
    }

    @Override
    public String toString() {
        return settings.toString();
    }

    /** One moment's factors; immutable but for the round-robin credits, which request threads share. */
    static final class Factors {
        /** Whether every endpoint is past its window, so these factors are final. */
        final boolean last;
        /** Each endpoint's share of its weight now, 1 when warm; {@code null} when none is slowed. */
        final double[] slowed;
        /**
         * Round-robin's turns a slowed endpoint has saved up. Read and written plainly by every
         * thread: a lost update costs a turn's evenness, never a wrong endpoint.
         */
        private final double[] credit;

        Factors(boolean last, double[] slowed) {
            this.last = last;
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
