package dev.podlb.core.health;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.time.Scheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The ejection state of one service's endpoints, fed by call outcomes. Keyed by endpoint identity
 * (address and port), so a DNS refresh or informer resync that re-publishes a pod keeps its state;
 * an ejected pod that drops out of discovery keeps its state until its ejection ends.
 *
 * <p>A {@link dev.podlb.core.LoadBalancer} owns one; it is public so that operations views can
 * read it. Changes are told to the {@link Listener}, never while a lock of this class is held.
 */
public final class HealthTracker implements AutoCloseable {
    /** Hears of ejections and returns. Called on the reporting or scheduler thread. */
    public interface Listener {
        /** The endpoint left rotation for {@code duration}; this is its {@code ejections}-th ejection in a row. */
        void ejected(InetSocketAddress endpoint, Duration duration, int ejections);

        /** The ejection ended: the endpoint is picked again, on trial. */
        void readmitted(InetSocketAddress endpoint);

        /** A trial call succeeded: the endpoint is healthy again. */
        void recovered(InetSocketAddress endpoint);
    }

    private static final Throwable FAILURE = new Throwable("call outcome classified as failure", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    private final String service;
    private final EjectionPolicy policy;
    private final Scheduler scheduler;
    private final Listener listener;
    private final List<CircuitBreakerConfig> detectors;
    private final Map<InetSocketAddress, EndpointHealth> endpoints = new ConcurrentHashMap<>();
    private volatile Set<InetSocketAddress> present = Set.of();
    private volatile boolean closed;

    public HealthTracker(String service, EjectionPolicy policy, Scheduler scheduler, Listener listener) {
        this.service = service;
        this.policy = policy;
        this.scheduler = scheduler;
        this.listener = listener;
        this.detectors = detectors(policy);
    }

    private static List<CircuitBreakerConfig> detectors(EjectionPolicy policy) {
        List<CircuitBreakerConfig> configs = new ArrayList<>(2);
        if (policy.consecutiveFailures() > 0) {
            // A count window of n calls that all failed is n failures in a row.
            configs.add(config(policy.consecutiveFailures(), policy.consecutiveFailures(), 100f));
        }
        if (policy.failureRatePercent() > 0) {
            configs.add(config(policy.failureRateWindow(), policy.failureRateMinimumCalls(), policy.failureRatePercent()));
        }
        return configs;
    }

    private static CircuitBreakerConfig config(int window, int minimumCalls, float percent) {
        return CircuitBreakerConfig.custom()
                .slidingWindow(window, minimumCalls, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(percent)
                // One trial call decides after an ejection: success closes, failure re-opens.
                .permittedNumberOfCallsInHalfOpenState(1)
                // The ejection's end is ours to schedule (it grows with each ejection); never resilience4j's.
                .waitDurationInOpenState(Duration.ofDays(365))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .build();
    }

    /** Starts tracking the set's new endpoints and forgets departed ones that are not ejected. */
    public void retain(EndpointSet set) {
        Set<InetSocketAddress> now = new HashSet<>(set.size() * 2);
        for (Endpoint e : set.endpoints()) {
            now.add(e.socketAddress());
        }
        present = now;
        if (!policy.enabled()) {
            return;
        }
        for (InetSocketAddress address : now) {
            endpoints.computeIfAbsent(address, EndpointHealth::new);
        }
        endpoints.values().removeIf(h -> !now.contains(h.address) && !h.isEjected());
    }

    /** Records how a call to {@code endpoint} ended. */
    public void report(Endpoint endpoint, Outcome outcome) {
        EndpointHealth health = endpoints.get(endpoint.socketAddress());
        if (health != null) {
            health.record(policy.failureClassifier().isFailure(outcome));
        }
    }

    public boolean isEjected(InetSocketAddress endpoint) {
        EndpointHealth health = endpoints.get(endpoint);
        return health != null && health.isEjected();
    }

    /** The addresses ejected now. */
    public Set<InetSocketAddress> ejected() {
        return endpoints.values().stream().filter(EndpointHealth::isEjected).map(h -> h.address)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Stops every scheduled return; no listener is called afterwards. */
    @Override
    public void close() {
        closed = true;
        endpoints.values().forEach(EndpointHealth::cancelReadmission);
    }

    @Override
    public String toString() {
        return "HealthTracker{service=" + service + ", " + endpoints.size() + " tracked, " + ejected().size()
                + " ejected, " + policy + "}";
    }

    /** One endpoint: its detectors and its ejection history. */
    private final class EndpointHealth {
        final InetSocketAddress address;
        final List<CircuitBreaker> breakers;
        private boolean ejected;
        private int ejections;
        private long healthySince = Long.MIN_VALUE;
        private Scheduler.Cancellable readmission;

        EndpointHealth(InetSocketAddress address) {
            this.address = address;
            this.breakers = new ArrayList<>(detectors.size());
            for (CircuitBreakerConfig config : detectors) {
                CircuitBreaker breaker = CircuitBreaker.of(service + "/" + address, config);
                breaker.getEventPublisher().onStateTransition(this::onTransition);
                breakers.add(breaker);
            }
        }

        void record(boolean failure) {
            for (CircuitBreaker breaker : breakers) {
                if (failure) {
                    breaker.onError(0, TimeUnit.NANOSECONDS, FAILURE);
                } else {
                    breaker.onSuccess(0, TimeUnit.NANOSECONDS);
                }
            }
        }

        synchronized boolean isEjected() {
            return ejected;
        }

        private void onTransition(CircuitBreakerOnStateTransitionEvent event) {
            CircuitBreaker.StateTransition transition = event.getStateTransition();
            if (transition.getToState() == CircuitBreaker.State.OPEN) {
                eject();
            } else if (transition == CircuitBreaker.StateTransition.HALF_OPEN_TO_CLOSED && allClosed()) {
                synchronized (this) {
                    healthySince = scheduler.nanoTime();
                }
                if (!closed) {
                    listener.recovered(address);
                }
            }
        }

        private boolean allClosed() {
            return breakers.stream().allMatch(b -> b.getState() == CircuitBreaker.State.CLOSED);
        }

        private void eject() {
            Duration duration;
            int count;
            synchronized (this) {
                if (ejected || closed) {
                    return; // a second detector tripping during the same ejection
                }
                long now = scheduler.nanoTime();
                if (healthySince != Long.MIN_VALUE) {
                    long healthyPeriods = (now - healthySince) / policy.baseEjectionTime().toNanos();
                    ejections = (int) Math.max(0, ejections - healthyPeriods);
                }
                ejected = true;
                healthySince = Long.MIN_VALUE;
                count = ++ejections;
                duration = policy.ejectionTime(count);
                readmission = scheduler.schedule(duration, this::readmit);
            }
            listener.ejected(address, duration, count);
        }

        private void readmit() {
            synchronized (this) {
                if (!ejected || closed) {
                    return;
                }
                ejected = false;
                readmission = null;
                for (CircuitBreaker breaker : breakers) {
                    if (breaker.getState() == CircuitBreaker.State.OPEN) {
                        breaker.transitionToHalfOpenState();
                    }
                }
            }
            if (!present.contains(address)) {
                endpoints.remove(address, this); // it left discovery while ejected
            }
            listener.readmitted(address);
        }

        synchronized void cancelReadmission() {
            if (readmission != null) {
                readmission.cancel();
                readmission = null;
            }
        }
    }
}
