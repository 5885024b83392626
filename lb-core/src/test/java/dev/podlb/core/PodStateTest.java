package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PodStateTest {
    @Test
    void latencyDecayIsTheExponentialOverEveryGapBetweenAttempts() {
        SplittableRandom random = new SplittableRandom(23);
        for (int i = 0; i < 100_000; i++) {
            // gaps from a nanosecond to minutes, over the 10 s decay: both sides of the series' bound
            double x = Math.pow(10, random.nextDouble(-10, 1.5));
            assertThat(PodState.decay(x)).as("decay(%s)", x).isCloseTo(Math.exp(-x), within(1e-13));
        }
        assertThat(PodState.decay(0)).isEqualTo(1.0);
        assertThat(PodState.decay(0x1p-10)).isEqualTo(Math.exp(-0x1p-10));
    }
}
