package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.health.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;

/** Hears what the interceptor reports: each attempt's pod and outcome by request id, calls' ends, retries. */
final class RecordingListener implements CallListener {
    /** One attempt as charged: the pod's address and the outcome. */
    record Charge(String pod, Outcome outcome) {
        @Override
        public String toString() {
            return pod + " " + outcome;
        }
    }

    final List<Charge> charges = Collections.synchronizedList(new ArrayList<>());
    final Map<String, List<String>> podsChargedById = new ConcurrentHashMap<>();
    final List<CallOutcome> calls = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger retries = new AtomicInteger();
    final AtomicInteger budgetExhausted = new AtomicInteger();

    @Override
    public void outcome(String service, Request request, Endpoint pod, Outcome outcome, long durationNanos) {
        String ip = pod.address().getHostAddress();
        charges.add(new Charge(ip, outcome));
        String id = request.header("X-Request-Id");
        if (id != null) {
            podsChargedById.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(ip);
        }
    }

    @Override
    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int nextAttempt) {
        retries.incrementAndGet();
    }

    @Override
    public void retryBudgetExhausted(String service, Request request, Endpoint pod, Outcome outcome) {
        budgetExhausted.incrementAndGet();
    }

    @Override
    public void callEnded(String service, Request request, CallOutcome outcome) {
        calls.add(outcome);
    }

    /** The pods the attempts of the request with this id were charged to, in order. */
    List<String> podsCharged(String id) {
        List<String> pods = podsChargedById.get(id);
        return pods == null ? List.of() : List.copyOf(pods);
    }

    List<Charge> chargesTo(String ip) {
        synchronized (charges) {
            return charges.stream().filter(c -> c.pod.equals(ip)).toList();
        }
    }

    List<Charge> chargesOf(Outcome.Kind kind, int status) {
        synchronized (charges) {
            return charges.stream().filter(c -> c.outcome.kind() == kind && c.outcome.status() == status).toList();
        }
    }
}
