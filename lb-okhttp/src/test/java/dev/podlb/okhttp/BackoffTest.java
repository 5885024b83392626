package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Jittered backoff waits below {@code (2^n - 1) × base}, capped at max; none waits nothing. */
class BackoffTest {
    @Test
    void jitteredWaitsStayUnderTheirCeilingAndSpreadBelowIt() {
        Backoff backoff = Backoff.jittered(Duration.ofMillis(25), Duration.ofMillis(250));
        long[] ceilings = {25, 75, 175, 250, 250};
        for (int retry = 1; retry <= ceilings.length; retry++) {
            long ceiling = Duration.ofMillis(ceilings[retry - 1]).toNanos();
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 2_000; i++) {
                long wait = backoff.nanosBefore(retry);
                assertThat(wait).isBetween(0L, ceiling);
                min = Math.min(min, wait);
                max = Math.max(max, wait);
            }
            assertThat(min).as("shortest wait before retry %d", retry).isLessThan(ceiling / 10);
            assertThat(max).as("longest wait before retry %d", retry).isGreaterThan(ceiling * 9 / 10);
        }
    }

    @Test
    void noneNeverWaits() {
        assertThat(Backoff.none().nanosBefore(1)).isZero();
        assertThat(Backoff.none().nanosBefore(9)).isZero();
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> Backoff.jittered(Duration.ZERO, Duration.ofMillis(250)))
                .hasMessage("backoff base is PT0S; expected more than 0, such as 25ms");
        assertThatThrownBy(() -> Backoff.jittered(Duration.ofMillis(25), Duration.ofMillis(10)))
                .hasMessage("backoff max is PT0.01S; expected from the base (PT0.025S) to 10s, such as 250ms");
    }
}
