package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Set;
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

    /** The fields an attempt's start and end read or write (Attempt, OutlierDetector.report). */
    private static final Set<String> ATTEMPT_FIELDS = Set.of("inFlight", "consecutiveFailures", "latencyNanos",
            "latencyStampNanos", "ejected", "onTrial", "generation", "failureRate", "allInFlight");

    /**
     * Pods' states lie next to each other in the heap (a collection copies them so): the fields an
     * attempt touches must end 64 bytes or more before the next state's begin, or two threads'
     * attempts on neighbouring pods write one cache line. Offsets as this JVM lays the object out.
     */
    @Test
    void theFieldsEveryAttemptTouchesEndSixtyFourBytesBeforeTheNextPodsBegin() throws Exception {
        // sun.misc.Unsafe reached reflectively: the test reads offsets, and compiles without an internal API.
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        Method offsetOf = unsafeClass.getMethod("objectFieldOffset", Field.class);
        int referenceBytes = unsafeClass.getField("ARRAY_OBJECT_INDEX_SCALE").getInt(null);
        long hotStart = Long.MAX_VALUE;
        long hotEnd = 0;
        long end = 0;
        int seen = 0;
        for (Class<?> c = PodState.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                long offset = (long) offsetOf.invoke(unsafe, f);
                long fieldEnd = offset + bytes(f.getType(), referenceBytes);
                end = Math.max(end, fieldEnd);
                if (ATTEMPT_FIELDS.contains(f.getName())) {
                    seen++;
                    hotStart = Math.min(hotStart, offset);
                    hotEnd = Math.max(hotEnd, fieldEnd);
                }
            }
        }
        assertThat(seen).as("the attempt's fields found").isEqualTo(ATTEMPT_FIELDS.size());
        long size = (end + 7) & ~7L; // objects are 8-byte aligned
        assertThat(size + hotStart - hotEnd).as("bytes from a state's last attempt field to the next state's first"
                + " (attempt fields at %d..%d of %d bytes)", hotStart, hotEnd, size).isGreaterThanOrEqualTo(64);
    }

    private static int bytes(Class<?> type, int referenceBytes) {
        if (type == long.class || type == double.class) {
            return 8;
        }
        if (type == int.class || type == float.class) {
            return 4;
        }
        if (type == short.class || type == char.class) {
            return 2;
        }
        if (type == boolean.class || type == byte.class) {
            return 1;
        }
        return referenceBytes;
    }
}
