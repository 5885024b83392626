package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The retry budget's slots, read with a clock whose readings arrive in the order threads use them. */
class RetryAllowanceTest {
    private static final Duration TTL = Duration.ofSeconds(10);

    /**
     * A call's thread that read the clock, then paused for a whole ttl before depositing, finds
     * its tenth of the ttl's slot reused by a later tenth that other calls deposit in: its deposit
     * joins theirs rather than putting back a slot of its own moment, which would drop theirs and
     * its own with it (the balance counts only the last ttl's slots).
     */
    @Test
    void aDepositWithAClockReadingATtlOldKeepsTheDepositsOfTheSlotThatReusedItsPlace() {
        long ttl = TTL.toNanos();
        RetryBudget budget = RetryBudget.builder().ratio(1).minRetriesPerSecond(0).ttl(TTL).build();
        RetryAllowance allowance = RetryAllowance.of(budget, new ReadingsInOrder(List.of(ttl, 0L, ttl)));

        allowance.deposit(); // a call at the ttl: a whole retry
        allowance.deposit(); // a call whose thread read the clock at 0, a ttl ago

        assertThat(allowance.retriesLeft()).as("retries left at the ttl").isEqualTo(2);
    }

    /** A clock whose readings are given in the order the calls under test take them. */
    private static final class ReadingsInOrder implements Scheduler {
        private final Deque<Long> readings;

        ReadingsInOrder(List<Long> readings) {
            this.readings = new ArrayDeque<>(readings);
        }

        @Override
        public long nanoTime() {
            return readings.removeFirst();
        }

        @Override
        public Cancellable schedule(Duration delay, Runnable task) {
            throw new UnsupportedOperationException("the retry budget schedules nothing");
        }
    }
}
