package dev.podlb.grpc;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.LeastRequest;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.SlowStart;
import dev.podlb.core.pick.WhenPinUnavailable;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the policy's service-config JSON, {@code {"podlb": {...}}}, into a {@link PodlbPolicy}.
 * Unknown keys, values of the wrong type and settings that contradict each other are refused with
 * the key's path and what is expected: a misspelled key silently ignored would leave a channel
 * balanced otherwise than its owner believes.
 */
final class PolicyJson {
    private static final Set<String> TOP = Set.of("service", "picker", "choices", "latencyAware", "latencyDecay",
            "failurePenalty", "slowStart", "stickyLoadBound", "stickyMetadataKey", "pinMetadataKey",
            "whenPinUnavailable", "failureStatusCodes", "ejection", "topology", "recordLatency");
    private static final Set<String> SLOW_START = Set.of("window", "aggression", "minPercent");
    private static final Set<String> EJECTION = Set.of("consecutiveFailures", "failureRate", "baseEjectionTime",
            "maxEjectionTime", "maxEjectionPercent", "panicThresholdPercent");
    private static final Set<String> FAILURE_RATE = Set.of("percent", "window", "minimumCalls");
    private static final Set<String> TOPOLOGY = Set.of("enabled", "zone", "node", "preferSameZone", "spillOver",
            "spillOverThreshold");

    private PolicyJson() {}

    /** @throws IllegalArgumentException naming the key that is wrong and what is expected */
    static PodlbPolicy parse(Map<String, ?> json) {
        requireKnown("", json, TOP);
        PodlbPolicy.Builder b = PodlbPolicy.builder().json(json);
        String service = string(json, "service");
        if (service != null) {
            b.service(service);
        }
        b.picker(picker(json));
        String sticky = string(json, "stickyMetadataKey");
        if (sticky != null) {
            b.stickyMetadataKey(sticky);
        }
        String pin = string(json, "pinMetadataKey");
        if (pin != null) {
            b.pinMetadataKey(pin);
        }
        String when = string(json, "whenPinUnavailable");
        if (when != null) {
            b.whenPinUnavailable(enumValue("whenPinUnavailable", when, WhenPinUnavailable.class));
        }
        List<?> codes = list(json, "failureStatusCodes");
        if (codes != null) {
            Set<Status.Code> set = EnumSet.noneOf(Status.Code.class);
            for (Object code : codes) {
                if (!(code instanceof String)) {
                    throw new IllegalArgumentException("failureStatusCodes holds " + describe(code)
                            + "; expected names of status codes, such as \"UNAVAILABLE\"");
                }
                set.add(enumValue("failureStatusCodes", (String) code, Status.Code.class));
            }
            b.failureStatusCodes(set);
        }
        Map<String, ?> ejection = object(json, "ejection");
        if (ejection != null) {
            b.ejection(ejection(ejection));
        }
        Map<String, ?> topology = object(json, "topology");
        if (topology != null) {
            b.topology(topology(topology));
        }
        Boolean recordLatency = bool(json, "recordLatency");
        if (recordLatency != null && recordLatency) {
            b.recordLatency();
        }
        return b.build();
    }

    private static PickerPolicy picker(Map<String, ?> json) {
        String kind = string(json, "picker");
        kind = kind == null ? "round-robin" : kind;
        Map<String, ?> slowStartJson = object(json, "slowStart");
        SlowStart slowStart = slowStartJson == null ? null : slowStart(slowStartJson);
        switch (kind) {
            case "round-robin":
                onlyWith(json, "least-request", kind, "choices", "latencyAware", "latencyDecay", "failurePenalty");
                onlyWith(json, "sticky", kind, "stickyLoadBound");
                return slowStart == null ? Pickers.roundRobin() : Pickers.roundRobin(slowStart);
            case "least-request": {
                onlyWith(json, "sticky", kind, "stickyLoadBound");
                LeastRequest lr = Pickers.leastRequest();
                Number choices = number(json, "choices");
                if (choices != null) {
                    lr = lr.choices(integer("choices", choices));
                }
                Boolean latencyAware = bool(json, "latencyAware");
                if (latencyAware != null) {
                    lr = lr.latencyAware(latencyAware);
                }
                if (!lr.latencyAware()) {
                    onlyWith(json, "least-request with latencyAware true", kind, "latencyDecay", "failurePenalty");
                }
                Duration decay = duration(json, "latencyDecay");
                if (decay != null) {
                    lr = lr.latencyDecay(decay);
                }
                Number penalty = number(json, "failurePenalty");
                if (penalty != null) {
                    lr = lr.failurePenalty(penalty.doubleValue());
                }
                return slowStart == null ? lr : lr.slowStart(slowStart);
            }
            case "sticky": {
                onlyWith(json, "least-request", kind, "choices", "latencyAware", "latencyDecay", "failurePenalty");
                if (slowStart != null) {
                    throw new IllegalArgumentException("slowStart is set with picker sticky; expected it with"
                            + " round-robin or least-request (a sticky key's pod is not eased in)");
                }
                Number bound = number(json, "stickyLoadBound");
                return bound == null ? Pickers.sticky() : Pickers.sticky(bound.doubleValue());
            }
            default:
                throw new IllegalArgumentException("picker is \"" + kind
                        + "\"; expected one of round-robin, least-request, sticky");
        }
    }

    private static void onlyWith(Map<String, ?> json, String needed, String picker, String... keys) {
        for (String key : keys) {
            if (json.containsKey(key)) {
                throw new IllegalArgumentException(key + " is set with picker " + picker + ", which ignores it;"
                        + " expected it only with picker " + needed);
            }
        }
    }

    private static SlowStart slowStart(Map<String, ?> json) {
        requireKnown("slowStart.", json, SLOW_START);
        Duration window = duration(json, "window");
        if (window == null) {
            throw new IllegalArgumentException("slowStart has no window; expected {\"window\": \"30s\"}");
        }
        SlowStart slowStart = SlowStart.of(window);
        Number aggression = number(json, "aggression");
        if (aggression != null) {
            slowStart = slowStart.aggression(aggression.doubleValue());
        }
        Number minPercent = number(json, "minPercent");
        if (minPercent != null) {
            slowStart = slowStart.minPercent(minPercent.doubleValue());
        }
        return slowStart;
    }

    private static EjectionPolicy ejection(Map<String, ?> json) {
        requireKnown("ejection.", json, EJECTION);
        EjectionPolicy.Builder b = EjectionPolicy.builder();
        Number consecutive = number(json, "consecutiveFailures");
        if (consecutive != null) {
            b.consecutiveFailures(integer("ejection.consecutiveFailures", consecutive));
        }
        Map<String, ?> rate = object(json, "failureRate");
        if (rate != null) {
            requireKnown("ejection.failureRate.", rate, FAILURE_RATE);
            Number percent = number(rate, "percent");
            Number window = number(rate, "window");
            Number minimum = number(rate, "minimumCalls");
            if (percent == null || window == null || minimum == null) {
                throw new IllegalArgumentException("ejection.failureRate is " + rate
                        + "; expected percent, window and minimumCalls, such as {\"percent\": 50, \"window\": 20, \"minimumCalls\": 10}");
            }
            b.failureRate(percent.floatValue(), integer("ejection.failureRate.window", window),
                    integer("ejection.failureRate.minimumCalls", minimum));
        }
        Duration base = duration(json, "baseEjectionTime");
        if (base != null) {
            b.baseEjectionTime(base);
        }
        Duration max = duration(json, "maxEjectionTime");
        if (max != null) {
            b.maxEjectionTime(max);
        }
        Number maxPercent = number(json, "maxEjectionPercent");
        if (maxPercent != null) {
            b.maxEjectionPercent(integer("ejection.maxEjectionPercent", maxPercent));
        }
        Number panic = number(json, "panicThresholdPercent");
        if (panic != null) {
            b.panicThresholdPercent(integer("ejection.panicThresholdPercent", panic));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ejection: " + e.getMessage(), e);
        }
    }

    private static TopologyPolicy topology(Map<String, ?> json) {
        requireKnown("topology.", json, TOPOLOGY);
        Boolean enabled = bool(json, "enabled");
        if (enabled != null && !enabled) {
            if (json.size() > 1) {
                throw new IllegalArgumentException("topology has enabled false and other settings " + json.keySet()
                        + "; expected either enabled false alone or the settings without it");
            }
            return TopologyPolicy.disabled();
        }
        TopologyPolicy.Builder b = TopologyPolicy.builder();
        String zone = string(json, "zone");
        String node = string(json, "node");
        if (zone != null || node != null) {
            Locality env = Locality.fromEnvironment();
            b.locality(Locality.of(zone != null ? zone : env.zone().orElse(null),
                    node != null ? node : env.node().orElse(null)));
        }
        Boolean preferSameZone = bool(json, "preferSameZone");
        if (preferSameZone != null && preferSameZone) {
            b.preferSameZone();
        }
        Boolean spillOver = bool(json, "spillOver");
        if (spillOver != null) {
            b.spillOver(spillOver);
        }
        Number threshold = number(json, "spillOverThreshold");
        if (threshold != null) {
            b.spillOverThreshold(threshold.doubleValue());
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("topology: " + e.getMessage(), e);
        }
    }

    private static void requireKnown(String prefix, Map<String, ?> json, Set<String> known) {
        for (String key : json.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown key " + prefix + key + "; expected one of "
                        + new TreeSet<>(known));
            }
        }
    }

    private static String string(Map<String, ?> json, String key) {
        return typed(json, key, String.class, "a string");
    }

    private static Number number(Map<String, ?> json, String key) {
        return typed(json, key, Number.class, "a number");
    }

    private static Boolean bool(Map<String, ?> json, String key) {
        return typed(json, key, Boolean.class, "true or false");
    }

    private static List<?> list(Map<String, ?> json, String key) {
        return typed(json, key, List.class, "a list");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> object(Map<String, ?> json, String key) {
        return typed(json, key, Map.class, "an object");
    }

    private static <T> T typed(Map<String, ?> json, String key, Class<T> type, String expected) {
        Object value = json.get(key);
        if (value == null) {
            return null;
        }
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException(key + " is " + describe(value) + "; expected " + expected);
        }
        return type.cast(value);
    }

    private static int integer(String key, Number value) {
        double d = value.doubleValue();
        if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " is " + value + "; expected a whole number");
        }
        return (int) d;
    }

    /** gRPC's service config writes durations as protobuf's JSON does: seconds with an {@code s}, {@code "30s"}, {@code "0.25s"}. */
    private static Duration duration(Map<String, ?> json, String key) {
        String text = string(json, key);
        if (text == null) {
            return null;
        }
        String expected = "; expected seconds as gRPC's service config writes durations, such as \"30s\" or \"0.25s\"";
        if (!text.endsWith("s")) {
            throw new IllegalArgumentException(key + " is \"" + text + "\"" + expected);
        }
        try {
            BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - 1));
            if (seconds.signum() < 0) {
                throw new IllegalArgumentException(key + " is \"" + text + "\", negative" + expected);
            }
            return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(key + " is \"" + text + "\"" + expected, e);
        }
    }

    private static <E extends Enum<E>> E enumValue(String key, String text, Class<E> type) {
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " holds \"" + text + "\"; expected one of "
                    + List.of(type.getEnumConstants()), e);
        }
    }

    private static String describe(Object value) {
        return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    }
}
