package dev.podlb.spring;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.health.Outcome;
import dev.podlb.okhttp.CallListener;
import dev.podlb.okhttp.CallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;

/**
 * podlb's meters: {@code podlb.requests} (attempts: timer by service and outcome, and pod when
 * enabled), {@code podlb.calls} (whole calls: timer by service and outcome, those that found no pod
 * or route included), {@code podlb.retries}, {@code podlb.retry.budget.exhausted},
 * {@code podlb.ejections}, {@code podlb.resolutions} (by result).
 */
public class PodlbMetrics implements CallListener {
    private final MeterRegistry registry;
    private final boolean podTag;
    // Built once: each attempt only names its tags.
    private final Meter.MeterProvider<Timer> requests;
    private final Meter.MeterProvider<Counter> retries;
    private final Meter.MeterProvider<Timer> calls;
    private final Meter.MeterProvider<Counter> budgetExhausted;

    public PodlbMetrics(MeterRegistry registry, boolean podTag) {
        this.registry = registry;
        this.podTag = podTag;
        this.requests = Timer.builder("podlb.requests").description("Attempts sent to pods, by how they ended")
                .withRegistry(registry);
        this.retries = Counter.builder("podlb.retries").description("Requests sent again to another pod")
                .withRegistry(registry);
        this.calls = Timer.builder("podlb.calls").description("Calls to balanced services, by what the caller got")
                .withRegistry(registry);
        this.budgetExhausted = Counter.builder("podlb.retry.budget.exhausted")
                .description("Retries refused because the service's retry budget was spent").withRegistry(registry);
    }

    @Override
    public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {
        Tags tags = Tags.of("service", service, "outcome", outcomeTag(outcome));
        if (podTag) {
            tags = tags.and("pod", pod.podName().orElse(pod.authority()));
        }
        requests.withTags(tags).record(durationNanos, TimeUnit.NANOSECONDS);
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
        String tag = outcome.kind() == CallOutcome.Kind.RESPONSE ? statusTag(outcome.status())
                : outcome.kind().name().toLowerCase(Locale.ROOT);
        calls.withTags("service", service, "outcome", tag).record(outcome.durationNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void ejected(String service, Endpoint endpoint, Duration duration) {
        Counter.builder("podlb.ejections").description("Pods taken out of rotation after failures").tag("service", service)
                .register(registry).increment();
    }

    @Override
    public void endpointsChanged(String service, EndpointSet set) {
        resolution(service, "success");
    }

    @Override
    public void resolutionFailed(String service, Throwable error) {
        resolution(service, "failure");
    }

    private void resolution(String service, String result) {
        Counter.builder("podlb.resolutions").description("Discovery results: new pod sets, and failures")
                .tags("service", service, "result", result).register(registry).increment();
    }

    static String outcomeTag(Outcome outcome) {
        if (outcome.kind() != Outcome.Kind.RESPONSE) {
            return outcome.kind().name().toLowerCase(Locale.ROOT);
        }
        return statusTag(outcome.status());
    }

    private static String statusTag(int status) {
        return status < 200 ? "informational" : status < 300 ? "success" : status < 400 ? "redirection"
                : status < 500 ? "client_error" : "server_error";
    }
}
