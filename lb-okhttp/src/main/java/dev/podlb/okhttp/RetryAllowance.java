package dev.podlb.okhttp;

import dev.podlb.core.time.Scheduler;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A service's {@link RetryBudget} at run time: every call deposits {@code ratio} of a retry, every
 * retry withdraws one, and both count for {@code ttl}, kept in ten slots of a tenth of it each.
 * A standing reserve of {@code minRetriesPerSecond × ttl} retries is always there on top.
 *
 * <p>Called on the threads that run calls. A deposit is one lock-free add, on every call; a
 * withdrawal, only on a retry, checks the balance and takes its retry under this object's lock, so
 * that two retries never spend the same last token.
 */
final class RetryAllowance {
    private static final int SLOTS = 10;
    /** Fixed-point tokens: one retry is worth this much, so a ratio of 0.2 deposits 200. */
    private static final long RETRY = 1000;

    private static final RetryAllowance UNLIMITED = new RetryAllowance();

    private final boolean limited;
    private final long deposit;
    private final long reserve;
    private final long slotNanos;
    private final Scheduler clock;
    private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SLOTS);
    /**
     * The slot the last deposit went to: while the clock is within its tenth of the ttl, a deposit
     * goes there without working out which slot it is (a long division and a remainder, on every call).
     */
    private volatile Slot current;

    private RetryAllowance() {
        this.limited = false;
        this.deposit = 0;
        this.reserve = 0;
        this.slotNanos = 1;
        this.clock = null;
    }

    private RetryAllowance(RetryBudget budget, Scheduler clock) {
        this.limited = true;
        this.deposit = Math.round(budget.ratio() * RETRY);
        this.reserve = budget.minRetriesPerSecond() * budget.ttl().toSeconds() * RETRY;
        this.slotNanos = budget.ttl().toNanos() / SLOTS;
        this.clock = clock;
    }

    static RetryAllowance of(RetryBudget budget, Scheduler clock) {
        return budget.isUnlimited() ? UNLIMITED : new RetryAllowance(budget, clock);
    }

    /** A call started: it earns its share of a retry. */
    void deposit() {
        if (!limited) {
            return;
        }
        long now = clock.nanoTime();
        Slot s = current;
        long into = s == null ? -1 : now - s.epoch * slotNanos;
        if (into < 0 || into >= slotNanos) {
            s = slot(now);
            current = s;
        }
        s.tokens.add(deposit);
    }

    /** Takes one retry if the budget holds one; {@code false} when it is spent. */
    boolean withdraw() {
        return !limited || withdrawLimited();
    }

    private synchronized boolean withdrawLimited() {
        long now = clock.nanoTime();
        if (balance(now) < RETRY) {
            return false;
        }
        slot(now).tokens.add(-RETRY);
        return true;
    }

    /** Retries the budget holds now; {@link Long#MAX_VALUE} when unlimited. */
    long retriesLeft() {
        return limited ? balance(clock.nanoTime()) / RETRY : Long.MAX_VALUE;
    }

    private long balance(long now) {
        long epoch = Math.floorDiv(now, slotNanos);
        long sum = reserve;
        for (int i = 0; i < SLOTS; i++) {
            Slot s = slots.get(i);
            if (s != null && epoch - s.epoch < SLOTS) {
                sum += s.tokens.sum();
            }
        }
        return sum;
    }

    /**
     * The slot of this moment, replacing the one it reuses when that one's time has passed. A
     * reading a whole ttl old (its thread paused after reading the clock) finds its place taken by
     * a later tenth's slot, and goes there: putting back a slot of its own moment would drop the
     * later one's deposits, and its own, which the balance no longer counts.
     */
    private Slot slot(long now) {
        long epoch = Math.floorDiv(now, slotNanos);
        int index = (int) Math.floorMod(epoch, (long) SLOTS);
        while (true) {
            Slot s = slots.get(index);
            if (s != null && s.epoch >= epoch) {
                return s;
            }
            Slot fresh = new Slot(epoch);
            if (slots.compareAndSet(index, s, fresh)) {
                return fresh;
            }
        }
    }

    private static final class Slot {
        /** Its tenth of the ttl: it begins at {@code epoch × slotNanos} on the clock. */
        final long epoch;
        final LongAdder tokens = new LongAdder();

        Slot(long epoch) {
            this.epoch = epoch;
        }
    }
}
