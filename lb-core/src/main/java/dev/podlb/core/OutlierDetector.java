package dev.podlb.core;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.FailureClassifier;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.internal.InetAddresses;
import dev.podlb.core.internal.SerialContext;
import dev.podlb.core.pick.LiveFigure;
import dev.podlb.core.time.Scheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier detection for one load balancer: decides, from call outcomes, which pods leave
 * rotation and when they come back, within the policy's limits.
 *
 * <p>Who runs what: {@link #report} runs on request threads, takes no lock and touches only the
 * pod's atomics; when an outcome may change the pod's state (a run of failures reached the
 * threshold, a trial call ended) it queues the decision on the load balancer's
 * {@link SerialContext}. Every other method runs on that context only, as do the timers' tasks
 * (a timer only queues). So decisions are taken one at a time, in order, with the load balancer's
 * current set in view, and reported to the {@link Events} from the context.
 */
final class OutlierDetector {
    private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

    private static final Throwable FAILURE = new Throwable("call outcome classified as failure", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    /** What the detector decided; called on the serial context. */
    public interface Events {
        /** The pod left rotation for {@code duration}, its {@code ejections}-th ejection in a row, after {@code why}. */
        void ejected(InetSocketAddress pod, Duration duration, int ejections, String why);

        /** The pod is picked again, on trial, because {@code why}. */
        void readmitted(InetSocketAddress pod, String why);

        /** The pod's trial call succeeded. */
        void recovered(InetSocketAddress pod);
    }

    private final String service;
    private final EjectionPolicy policy;
    private final FailureClassifier classifier;
    /** The classifier's verdict on each response status, asked once: a response is then classified by one array read. */
    private final boolean[] failingStatus = new boolean[Outcome.MAX_STATUS + 1];
    private final int threshold;
    private final Scheduler scheduler;
    private final SerialContext context;
    /** The set the load balancer picks from now: ejection limits count its candidates. Serial context. */
    private EndpointSet applied = EndpointSet.empty();
    private final Events events;
    private final CircuitBreakerConfig failureRate;
    /** Written on the context only; read by request threads. */
    private final Map<InetSocketAddress, PodState> pods = new ConcurrentHashMap<>();
    /** The pods of the set last applied, by endpoint object: what picks return, found without hashing. */
    private volatile PodIndex index = PodIndex.EMPTY;
    /**
     * Requests in flight over every tracked pod, when something reads it
     * ({@link LiveFigure#TOTAL_IN_FLIGHT}); striped, so that attempts on different pods do not
     * contend. {@code null} otherwise: every attempt would pay for a figure no one reads, and
     * {@link #inFlight()} sums the pods' instead.
     */
    private final LongAdder inFlight;
    /**
     * The clock an attempt reads as it starts and ends, for its pod's latency average, when
     * something reads latency ({@link LiveFigure#LATENCY}); {@code null} otherwise, and attempts
     * read no clock.
     */
    private final Scheduler latencyClock;
    // Serial context only.
    private final Set<PodState> ejected = new LinkedHashSet<>();
    /** Ejected pods discovery has reported ready again since the last applied set; serial context. */
    private final Set<PodState> readyAgain = new LinkedHashSet<>();
    /** How many sets were applied: each marks its pods' states ({@link PodState#appliedIn}) with its count. */
    private int appliedSets;
    private boolean closed;

    /**
     * @param kept the live figures kept beside what is always kept: those the picker or the
     *             application reads ({@link LiveFigure})
     */
    OutlierDetector(String service, EjectionPolicy policy, Scheduler scheduler, SerialContext context, Events events,
                    Set<LiveFigure> kept) {
        this.latencyClock = kept.contains(LiveFigure.LATENCY) ? scheduler : null;
        this.inFlight = kept.contains(LiveFigure.TOTAL_IN_FLIGHT) ? new LongAdder() : null;
        this.service = service;
        this.policy = policy;
        this.classifier = policy.failureClassifier();
        for (int status = 0; status < failingStatus.length; status++) {
            failingStatus[status] = classifier.isFailure(Outcome.response(status));
        }
        this.threshold = policy.consecutiveFailures();
        this.scheduler = scheduler;
        this.context = context;
        this.events = events;
        this.failureRate = policy.failureRatePercent() > 0 ? CircuitBreakerConfig.custom()
                .slidingWindow(policy.failureRateWindow(), policy.failureRateMinimumCalls(),
                        CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(policy.failureRatePercent())
                // Only the window's arithmetic is resilience4j's: when a pod leaves and comes back is ours.
                .waitDurationInOpenState(Duration.ofDays(365))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .build() : null;
    }

    /** The tracked pod at this address, or {@code null}; any thread. */
    public PodState pod(InetSocketAddress address) {
        return pods.get(address);
    }

    /** The tracked pod of this endpoint, or {@code null}; any thread, fastest for an endpoint a pick returned. */
    public PodState pod(Endpoint endpoint) {
        PodState pod = index.get(endpoint);
        return pod != null ? pod : pods.get(endpoint.socketAddress());
    }

    /**
     * Records how an attempt on {@code pod} ended; any thread, no lock. {@code generation} is the
     * pod's {@link PodState#generation} when the attempt started: only an attempt started since the
     * pod's latest readmission decides its trial; an earlier one (a call stuck on the pod before it
     * was ejected, a retry sent to it while ejected) counts in its live figures only.
     */
    public void report(PodState pod, Outcome outcome, int generation) {
        boolean failure = outcome.kind() == Outcome.Kind.RESPONSE ? failingStatus[outcome.status()]
                : classifier.isFailure(outcome);
        boolean onTrial = pod.onTrial;
        boolean decides = !onTrial || generation == pod.generation;
        if (failure) {
            pod.lastFailure = outcome;
            int inARow = pod.addFailure();
            if (onTrial) {
                if (decides) {
                    context.execute(() -> trialEnded(pod, false));
                }
            } else if (threshold > 0 && inARow >= threshold && pod.queueDecision()) {
                // At or past the threshold, not only at it: failures counted while a trial's end was
                // queued may have carried the run past it. One decision at a time per pod.
                context.execute(() -> {
                    pod.decisionTaken();
                    tripped(pod, inARow + " consecutive failures");
                });
            }
            if (pod.failureRate != null && decides) {
                pod.failureRate.onError(0, TimeUnit.NANOSECONDS, FAILURE);
            }
        } else {
            pod.endFailures();
            if (onTrial && decides) {
                context.execute(() -> trialEnded(pod, true));
            }
            if (pod.failureRate != null && decides) {
                pod.failureRate.onSuccess(0, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Records how a call to {@code pod} ended, for a caller that started no attempt: it counts as started now. */
    public void report(PodState pod, Outcome outcome) {
        report(pod, outcome, pod.generation);
    }

    /** The clock attempts read for their pod's latency, or {@code null} when no latency is kept. Any thread. */
    Scheduler latencyClock() {
        return latencyClock;
    }

    /** Requests in flight over every tracked pod now: one read when kept, else a pass over the pods. Any thread. */
    public long inFlight() {
        LongAdder total = inFlight;
        if (total != null) {
            return total.sum();
        }
        long sum = 0;
        for (PodState pod : pods.values()) {
            sum += pod.inFlight();
        }
        return sum;
    }

    /** Whether the pod at this address is ejected now; any thread. */
    public boolean isEjected(InetSocketAddress address) {
        PodState pod = pods.get(address);
        return pod != null && pod.ejected;
    }

    /**
     * The load balancer picks from {@code set} now: the ejection limits count its candidates from
     * here on. Tracks every pod of it (a pod present in the set always has its state) and forgets
     * departed pods that are not ejected. A departed ejected pod is kept until its ejection ends,
     * so that its history comes back with it: back but not ready, it stays ejected; back ready
     * (Kubernetes just saw it pass its readiness probe), it is readmitted on trial
     * ({@link #readinessChanged}), and a failed trial call ejects it for longer; still absent when
     * its time is up, it is forgotten, with no readmission announced. Serial context.
     */
    void applied(EndpointSet set) {
        context.checkCurrentThread();
        applied = set;
        int stamp = ++appliedSets;
        // A set mostly holds the very endpoint objects of the one before (discovery keeps those of the
        // slices that did not change): their states are found by identity, without hashing an address,
        // and only new endpoint objects are looked up or tracked by address.
        PodIndex before = index;
        List<Endpoint> endpoints = set.endpoints();
        PodState[] states = new PodState[endpoints.size()];
        for (int i = 0; i < states.length; i++) {
            Endpoint e = endpoints.get(i);
            PodState pod = before.get(e);
            if (pod == null) {
                pod = pods.computeIfAbsent(e.socketAddress(), this::track);
            }
            pod.appliedIn = stamp;
            states[i] = pod;
        }
        // Every pod of the set is tracked now: other tracked pods are those that left, unless none did.
        if (pods.size() != states.length) {
            pods.values().removeIf(pod -> pod.appliedIn != stamp && !pod.ejected);
        }
        index = PodIndex.of(endpoints, states);
    }

    /**
     * Notes each ejected pod that {@code before} did not have ready and {@code after} has:
     * Kubernetes has just seen it pass its readiness probe. A set that re-publishes a pod already
     * ready keeps its ejection. The ejection ends when the set is applied
     * ({@link #readmitReadyAgain}), so that the pod is pickable when its readmission is announced.
     * Serial context.
     */
    public void readinessChanged(EndpointSet before, EndpointSet after) {
        context.checkCurrentThread();
        for (PodState pod : ejected) {
            if (!isReady(before, pod.address) && isReady(after, pod.address)) {
                readyAgain.add(pod);
            }
        }
    }

    /**
     * Ends, on trial, the ejection of each pod noted ready again that the applied set still has
     * ready; call after {@link #applied} of that set. Serial context.
     */
    public void readmitReadyAgain() {
        context.checkCurrentThread();
        if (readyAgain.isEmpty()) {
            return;
        }
        EndpointSet set = applied;
        for (PodState pod : readyAgain) {
            if (isReady(set, pod.address) && pods.get(pod.address) == pod) {
                readmit(pod, "discovery reports it ready again");
            }
        }
        readyAgain.clear();
    }

    private static boolean isReady(EndpointSet set, InetSocketAddress address) {
        Endpoint e = set == null ? null : set.find(address);
        return e != null && e.readiness() == Readiness.READY;
    }

    /** The pods ejected now, in the order they were ejected. Serial context. */
    public List<InetSocketAddress> ejected() {
        context.checkCurrentThread();
        List<InetSocketAddress> addresses = new ArrayList<>(ejected.size());
        for (PodState pod : ejected) {
            addresses.add(pod.address);
        }
        return addresses;
    }

    /** Cancels every pending readmission; no event follows. Serial context. */
    public void close() {
        context.checkCurrentThread();
        closed = true;
        for (PodState pod : ejected) {
            cancelReadmission(pod);
        }
    }

    private PodState track(InetSocketAddress address) {
        CircuitBreaker breaker = null;
        if (failureRate != null) {
            breaker = CircuitBreaker.of(service + "/" + address, failureRate);
        }
        PodState pod = new PodState(address, breaker, inFlight);
        if (breaker != null) {
            breaker.getEventPublisher().onStateTransition(event -> {
                if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                    context.execute(() -> tripped(pod, "a failure rate of " + policy.failureRatePercent() + "% or more"));
                }
            });
        }
        return pod;
    }

    /** A detector fired for {@code pod}: eject it unless that would break the policy's limits. */
    private void tripped(PodState pod, String why) {
        context.checkCurrentThread();
        if (closed || pod.ejected || pods.get(pod.address) != pod) {
            resetDetectors(pod);
            return;
        }
        EndpointSet set = applied;
        if (!set.isCandidate(pod.address)) {
            resetDetectors(pod); // not picked anyway: discovery already keeps it out
            return;
        }
        int candidates = set.candidates().size();
        int ejectedCandidates = ejectedCandidates(set);
        if (ejectedCandidates >= policy.maxEjected(candidates)) {
            if (!pod.capNoticed) {
                pod.capNoticed = true;
                log.warn("{}: {} is failing ({}, last {}) but stays in rotation: {} of {} candidates are ejected already,"
                                + " the most that maxEjectionPercent {} allows", service,
                        InetAddresses.toUriHost(pod.address.getAddress()) + ":" + pod.address.getPort(), why, pod.lastFailure,
                        ejectedCandidates, candidates, policy.maxEjectionPercent());
            }
            resetDetectors(pod);
            return;
        }
        eject(pod, why);
    }

    private void eject(PodState pod, String why) {
        long now = scheduler.nanoTime();
        if (pod.healthySinceNanos != Long.MIN_VALUE) {
            long healthyPeriods = (now - pod.healthySinceNanos) / policy.baseEjectionTime().toNanos();
            pod.ejections = (int) Math.max(0, pod.ejections - healthyPeriods);
        }
        pod.healthySinceNanos = Long.MIN_VALUE;
        pod.ejections++;
        Duration duration = policy.ejectionTime(pod.ejections);
        pod.ejected = true;
        pod.onTrial = false;
        pod.capNoticed = false;
        resetDetectors(pod);
        ejected.add(pod);
        pod.readmission = scheduler.schedule(duration, () -> context.execute(
                () -> readmit(pod, "its ejection of " + duration + " ended")));
        events.ejected(pod.address, duration, pod.ejections, why + ", last " + pod.lastFailure);
    }

    private void readmit(PodState pod, String why) {
        context.checkCurrentThread();
        if (closed || !pod.ejected) {
            return;
        }
        cancelReadmission(pod);
        ejected.remove(pod);
        pod.ejected = false;
        resetDetectors(pod);
        if (applied.find(pod.address) == null) {
            // It left discovery while ejected: nothing to try, nothing to announce. Should it come
            // back, it is a new pod to this detector.
            pods.remove(pod.address, pod);
            log.debug("{}: the ejection of {} ended after it left discovery; forgotten", service, pod.address);
            return;
        }
        pod.generation++;
        pod.onTrial = true;
        // Its ejections in a row are forgiven from now on, even if no call comes to end the trial.
        pod.healthySinceNanos = scheduler.nanoTime();
        events.readmitted(pod.address, why);
    }

    private void trialEnded(PodState pod, boolean success) {
        context.checkCurrentThread();
        if (closed || !pod.onTrial || pods.get(pod.address) != pod) {
            return;
        }
        pod.onTrial = false;
        if (success) {
            events.recovered(pod.address);
        } else {
            tripped(pod, "its trial call failed");
        }
    }

    private void resetDetectors(PodState pod) {
        pod.resetFailures();
        if (pod.failureRate != null) {
            pod.failureRate.reset();
        }
    }

    private static void cancelReadmission(PodState pod) {
        if (pod.readmission != null) {
            pod.readmission.cancel();
            pod.readmission = null;
        }
    }

    private int ejectedCandidates(EndpointSet set) {
        int count = 0;
        for (PodState pod : ejected) {
            if (set.isCandidate(pod.address)) {
                count++;
            }
        }
        return count;
    }

    @Override
    public String toString() {
        return "OutlierDetector{" + service + ", " + pods.size() + " tracked, " + policy + "}";
    }
}
