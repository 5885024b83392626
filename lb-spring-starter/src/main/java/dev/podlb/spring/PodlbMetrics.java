package dev.podlb.spring;

import dev.podlb.core.Endpoint;
import dev.podlb.core.health.Outcome;
import dev.podlb.okhttp.CallListener;
import dev.podlb.okhttp.CallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;

/**
 * podlb's meters, each there from start-up with every tag value it can take (so that a rate or
 * an alert reads 0, not nothing, before the first event):
 *
 * <ul>
 * <li>{@code podlb.calls}: timer of whole calls, by {@code service} and {@code outcome} (what the
 *     caller got: the status class, {@code failed}, {@code timed_out}, {@code canceled},
 *     {@code no_pod}, and {@code no_route} under a route's host), those that found no pod included;</li>
 * <li>{@code podlb.attempts}: timer of the tries on pods, by {@code service} and {@code outcome}
 *     (the status class, {@code connect_failure}, {@code timeout}, {@code io_failure}), and
 *     {@code pod} when enabled (then its series appear with the pods);</li>
 * <li>{@code podlb.retries}, {@code podlb.retry.budget.exhausted}, {@code podlb.ejections}: counters by {@code service};</li>
 * <li>{@code podlb.resolutions}: every answer of discovery, by {@code service} and {@code result}:
 *     {@code changed} (a new set of pods), {@code unchanged} (the same set again: a DNS refresh, a
 *     resync) and {@code failure};</li>
 * <li>{@code podlb.zone.picks}: pods picked for attempts, by {@code service} and {@code placement}:
 *     {@code same_zone} or {@code other_zone} than this client's, or {@code unknown} when either
 *     zone is not known.</li>
 * </ul>
 *
 * The call methods run on the threads that run calls, the others on the load balancers' serial
 * contexts; each only increments meters.
 */
public class PodlbMetrics implements CallListener {
    static final List<String> CALL_OUTCOMES = List.of("informational", "success", "redirection", "client_error",
            "server_error", "failed", "timed_out", "canceled", "no_pod");
    static final List<String> ATTEMPT_OUTCOMES = List.of("informational", "success", "redirection", "client_error",
            "server_error", "connect_failure", "timeout", "io_failure");
    static final List<String> PLACEMENTS = List.of("same_zone", "other_zone", "unknown");

    private final boolean podTag;
    /** The client's zone per service, absent when not known. */
    private final Map<String, String> clientZones = new HashMap<>();
    // Built once: each event only names its tags.
    private final Meter.MeterProvider<Timer> attempts;
    private final Meter.MeterProvider<Counter> retries;
    private final Meter.MeterProvider<Timer> calls;
    private final Meter.MeterProvider<Counter> budgetExhausted;
    private final Meter.MeterProvider<Counter> ejections;
    private final Meter.MeterProvider<Counter> resolutions;
    private final Meter.MeterProvider<Counter> zonePicks;

    PodlbMetrics(MeterRegistry registry, PodlbProperties properties) {
        this.podTag = properties.getMetrics().isPodTag();
        this.attempts = Timer.builder("podlb.attempts").description("Tries of calls on pods, by how they ended")
                .withRegistry(registry);
        this.retries = Counter.builder("podlb.retries").description("Requests sent again to another pod")
                .withRegistry(registry);
        this.calls = Timer.builder("podlb.calls").description("Calls to balanced services, by what the caller got")
                .withRegistry(registry);
        this.budgetExhausted = Counter.builder("podlb.retry.budget.exhausted")
                .description("Retries refused because the service's retry budget was spent").withRegistry(registry);
        this.ejections = Counter.builder("podlb.ejections").description("Pods taken out of rotation after failures")
                .withRegistry(registry);
        this.resolutions = Counter.builder("podlb.resolutions")
                .description("Discovery results: new sets, the same set again, failures").withRegistry(registry);
        this.zonePicks = Counter.builder("podlb.zone.picks")
                .description("Pods picked for attempts, by whether they are in this client's zone").withRegistry(registry);
        properties.getServices().forEach((name, service) -> {
            ServiceTopology.locality(service.getTopology()).zone().ifPresent(zone -> clientZones.put(name, zone));
            register(name);
        });
        properties.getRoutes().forEach(route -> {
            if (route.getHost() != null) {
                calls.withTags("service", route.getHost().toLowerCase(Locale.ROOT), "outcome", "no_route");
            }
        });
    }

    /** Every meter of {@code service}, at zero. */
    private void register(String service) {
        CALL_OUTCOMES.forEach(outcome -> calls.withTags("service", service, "outcome", outcome));
        if (!podTag) { // with pod tags, a series per pod appears with the pod's first attempt
            ATTEMPT_OUTCOMES.forEach(outcome -> attempts.withTags("service", service, "outcome", outcome));
        }
        retries.withTags("service", service);
        budgetExhausted.withTags("service", service);
        ejections.withTags("service", service);
        resolutions.withTags("service", service, "result", "changed");
        resolutions.withTags("service", service, "result", "unchanged");
        resolutions.withTags("service", service, "result", "failure");
        PLACEMENTS.forEach(placement -> zonePicks.withTags("service", service, "placement", placement));
    }

    @Override
    public void picked(String service, Request request, Endpoint pod, int attempt) {
        zonePicks.withTags("service", service, "placement", placement(clientZones.get(service), pod)).increment();
    }

    @Override
    public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {
        Tags tags = Tags.of("service", service, "outcome", outcomeTag(outcome));
        if (podTag) {
            tags = tags.and("pod", pod.podName().orElse(pod.authority()));
        }
        attempts.withTags(tags).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int nextAttempt) {
        retries.withTags("service", service).increment();
    }

    @Override
    public void retryBudgetExhausted(String service, Request request, Endpoint pod, Outcome outcome) {
        budgetExhausted.withTags("service", service).increment();
    }

    @Override
    public void callEnded(String service, Request request, CallOutcome outcome) {
        calls.withTags("service", service, "outcome", callOutcomeTag(outcome))
                .record(outcome.durationNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void ejected(String service, Endpoint endpoint, Duration duration) {
        ejections.withTags("service", service).increment();
    }

    @Override
    public void resolved(String service, boolean changed) {
        resolutions.withTags("service", service, "result", changed ? "changed" : "unchanged").increment();
    }

    @Override
    public void resolutionFailed(String service, Throwable error) {
        resolutions.withTags("service", service, "result", "failure").increment();
    }

    static String placement(String clientZone, Endpoint pod) {
        String zone = pod.zone().orElse(null);
        if (clientZone == null || zone == null) {
            return "unknown";
        }
        return clientZone.equals(zone) ? "same_zone" : "other_zone";
    }

    static String outcomeTag(Outcome outcome) {
        if (outcome.kind() != Outcome.Kind.RESPONSE) {
            return outcome.kind().name().toLowerCase(Locale.ROOT);
        }
        return statusTag(outcome.status());
    }

    static String callOutcomeTag(CallOutcome outcome) {
        return outcome.kind() == CallOutcome.Kind.RESPONSE ? statusTag(outcome.status())
                : outcome.kind().name().toLowerCase(Locale.ROOT);
    }

    private static String statusTag(int status) {
        return status < 200 ? "informational" : status < 300 ? "success" : status < 400 ? "redirection"
                : status < 500 ? "client_error" : "server_error";
    }
}
