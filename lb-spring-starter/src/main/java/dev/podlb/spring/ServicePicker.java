package dev.podlb.spring;

import static dev.podlb.spring.PodlbConfigurationException.check;

import dev.podlb.core.pick.AffinityMemory;
import dev.podlb.core.pick.LeastRequest;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.pick.SlowStart;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.StickyKey;
import dev.podlb.spring.PodlbProperties.PickerKind;
import java.time.Duration;
import java.util.Map;

/**
 * A service's {@code picker}, {@code sticky.*}, {@code least-request.*} and {@code slow-start.*}
 * settings applied to its {@link BalancedService.Builder}, with the same rule as the Java API: a
 * sticky picker needs a sticky key, a sticky key alone makes the picker sticky, and settings the
 * chosen picker would ignore are refused, naming both properties.
 */
final class ServicePicker {
    private static final long DEFAULT_SESSIONS = 100_000;
    private static final Duration DEFAULT_SESSION_IDLE = Duration.ofMinutes(30);

    private ServicePicker() {}

    /** Applies the settings of the service under {@code prefix} ({@code podlb.services.<name>}) to {@code builder}. */
    static void apply(String prefix, PodlbProperties.Service service, BalancedService.Builder builder) {
        PodlbProperties.Sticky sticky = service.getSticky();
        String key = stickyKey(prefix, sticky, builder);
        PickerKind kind = service.getPicker() != null ? service.getPicker() : key != null ? PickerKind.STICKY : PickerKind.ROUND_ROBIN;
        if (kind == PickerKind.STICKY && key == null) {
            throw new PodlbConfigurationException(prefix + ".picker", kind, "a sticky picker needs a sticky key, or every"
                    + " request would go round-robin; expected " + prefix + ".sticky.header (such as X-Session-Id),"
                    + " .sticky.cookie or .sticky.learn-cookie", null);
        }
        if (kind != PickerKind.STICKY && key != null) {
            throw new PodlbConfigurationException(prefix + ".picker", kind, "picker " + kind + " ignores the sticky key"
                    + " that " + key + " sets; expected picker: sticky (or no picker: a sticky key alone makes it sticky),"
                    + " or no sticky key", null);
        }
        String picker = prefix + ".picker is " + kind + (service.getPicker() == null ? " (the default)" : "");
        refuseUnless(kind == PickerKind.LEAST_REQUEST, prefix + ".least-request", service.getLeastRequest().firstSet(), picker,
                "least-request");
        refuseUnless(kind != PickerKind.STICKY, prefix + ".slow-start", service.getSlowStart().firstSet(), picker,
                "round-robin or least-request");
        refuseUnless(kind == PickerKind.STICKY, prefix + ".sticky", sticky.getLoadBound() == null ? null
                : Map.entry("load-bound", sticky.getLoadBound()), picker, "sticky");
        SlowStart slowStart = slowStart(prefix + ".slow-start", service.getSlowStart());
        switch (kind) {
            case ROUND_ROBIN:
                builder.picker(slowStart == null ? Pickers.roundRobin() : Pickers.roundRobin(slowStart));
                break;
            case LEAST_REQUEST:
                builder.picker(leastRequest(prefix + ".least-request", service.getLeastRequest(), slowStart));
                break;
            default:
                if (sticky.getLoadBound() != null) {
                    double epsilon = sticky.getLoadBound();
                    if (sticky.getLearnCookie() != null) {
                        throw new PodlbConfigurationException(prefix + ".sticky.load-bound", epsilon, "podlb has no sticky"
                                + " picker that both bounds load and follows the sessions " + prefix + ".sticky.learn-cookie"
                                + " learns; expected one of the two", null);
                    }
                    builder.picker(check(prefix + ".sticky.load-bound", epsilon, () -> Pickers.sticky(epsilon)));
                }
                // Otherwise BalancedService makes the sticky picker, reading the learned sessions when there are some.
        }
    }

    /** Sets the sticky key and learned cookie; returns the property that sets the key, or null when none does. */
    private static String stickyKey(String prefix, PodlbProperties.Sticky sticky, BalancedService.Builder builder) {
        String key = null;
        if (sticky.getHeader() != null && sticky.getCookie() != null) {
            throw new PodlbConfigurationException(prefix + ".sticky.cookie", sticky.getCookie(), "a request has one sticky"
                    + " key, and " + prefix + ".sticky.header is set too; expected one of the two", null);
        }
        if (sticky.getHeader() != null) {
            check(prefix + ".sticky.header", sticky.getHeader(), () -> builder.stickyKey(StickyKey.header(sticky.getHeader())));
            key = prefix + ".sticky.header";
        } else if (sticky.getCookie() != null) {
            check(prefix + ".sticky.cookie", sticky.getCookie(), () -> builder.stickyKey(StickyKey.cookie(sticky.getCookie())));
            key = prefix + ".sticky.cookie";
        }
        PodlbProperties.SessionMemory memory = sticky.getSessionMemory();
        String memoryAt = prefix + ".sticky.session-memory";
        if (sticky.getLearnCookie() != null) {
            check(memoryAt + ".maximum-size", memory.getMaximumSize(),
                    () -> AffinityMemory.builder().maximumSize(memory.getMaximumSize()).idleExpiry(DEFAULT_SESSION_IDLE).build());
            check(memoryAt + ".idle-expiry", memory.getIdleExpiry(),
                    () -> AffinityMemory.builder().maximumSize(DEFAULT_SESSIONS).idleExpiry(memory.getIdleExpiry()).build());
            AffinityMemory sessions = AffinityMemory.builder().maximumSize(memory.getMaximumSize())
                    .idleExpiry(memory.getIdleExpiry()).build();
            check(prefix + ".sticky.learn-cookie", sticky.getLearnCookie(), () -> builder.learnCookie(sticky.getLearnCookie(), sessions));
            key = key != null ? key : prefix + ".sticky.learn-cookie";
        } else if (memory.getMaximumSize() != DEFAULT_SESSIONS || !DEFAULT_SESSION_IDLE.equals(memory.getIdleExpiry())) {
            boolean size = memory.getMaximumSize() != DEFAULT_SESSIONS;
            throw new PodlbConfigurationException(memoryAt + (size ? ".maximum-size" : ".idle-expiry"),
                    size ? memory.getMaximumSize() : memory.getIdleExpiry(), "the session memory holds the sessions"
                    + " learn-cookie learns, and " + prefix + ".sticky.learn-cookie is not set; expected it, or no"
                    + " session-memory settings", null);
        }
        return key;
    }

    /** Refuses {@code setting} of {@code group} (the first one set, or null for none) unless the picker uses it. */
    private static void refuseUnless(boolean used, String group, Map.Entry<String, Object> setting, String picker, String users) {
        if (!used && setting != null) {
            throw new PodlbConfigurationException(group + "." + setting.getKey(), setting.getValue(), "it applies to picker "
                    + users + " only, and " + picker + "; expected picker: " + users + ", or no "
                    + group.substring(group.lastIndexOf('.') + 1) + "." + setting.getKey(), null);
        }
    }

    private static SlowStart slowStart(String prefix, PodlbProperties.SlowStart settings) {
        if (settings.firstSet() == null) {
            return null;
        }
        if (settings.getWindow() == null) {
            throw new PodlbConfigurationException(prefix + ".window", null, "slow start needs the time a new pod takes to"
                    + " reach its full share; expected a duration such as 30s", null);
        }
        SlowStart slowStart = check(prefix + ".window", settings.getWindow(), () -> SlowStart.of(settings.getWindow()));
        if (settings.getAggression() != null) {
            SlowStart window = slowStart;
            slowStart = check(prefix + ".aggression", settings.getAggression(), () -> window.aggression(settings.getAggression()));
        }
        if (settings.getMinPercent() != null) {
            SlowStart shaped = slowStart;
            slowStart = check(prefix + ".min-percent", settings.getMinPercent(), () -> shaped.minPercent(settings.getMinPercent()));
        }
        return slowStart;
    }

    private static PickerPolicy leastRequest(String prefix, PodlbProperties.LeastRequest settings, SlowStart slowStart) {
        LeastRequest policy = Pickers.leastRequest();
        if (settings.getChoices() != null) {
            policy = check(prefix + ".choices", settings.getChoices(), () -> Pickers.leastRequest().choices(settings.getChoices()));
        }
        boolean latencyAware = Boolean.TRUE.equals(settings.getLatencyAware());
        if (!latencyAware && (settings.getLatencyDecay() != null || settings.getFailurePenalty() != null)) {
            boolean decay = settings.getLatencyDecay() != null;
            throw new PodlbConfigurationException(prefix + (decay ? ".latency-decay" : ".failure-penalty"),
                    decay ? settings.getLatencyDecay() : settings.getFailurePenalty(), "it applies to a latency-aware"
                    + " least-request only, and " + prefix + ".latency-aware is " + latencyAware + "; expected"
                    + " latency-aware: true, or no " + (decay ? "latency-decay" : "failure-penalty"), null);
        }
        if (latencyAware) {
            LeastRequest counted = policy.latencyAware(true);
            policy = settings.getLatencyDecay() == null ? counted : check(prefix + ".latency-decay", settings.getLatencyDecay(),
                    () -> counted.latencyDecay(settings.getLatencyDecay()));
            LeastRequest decaying = policy;
            policy = settings.getFailurePenalty() == null ? decaying : check(prefix + ".failure-penalty",
                    settings.getFailurePenalty(), () -> decaying.failurePenalty(settings.getFailurePenalty()));
        }
        return slowStart == null ? policy : policy.slowStart(slowStart);
    }
}
