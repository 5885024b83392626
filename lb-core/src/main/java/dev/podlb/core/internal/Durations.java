package dev.podlb.core.internal;

import java.time.Duration;

/** Checks of duration settings, with one wording for every builder. */
public final class Durations {
    private Durations() {}

    /**
     * Returns {@code value} when it is positive.
     *
     * @throws IllegalArgumentException {@code "<setting> is <value>; expected a positive duration such as <example>"}
     */
    public static Duration requirePositive(String setting, Duration value, String example) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + " is " + value + "; expected a positive duration such as "
                    + example);
        }
        return value;
    }
}
