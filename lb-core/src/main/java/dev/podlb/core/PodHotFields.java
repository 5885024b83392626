package dev.podlb.core;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fields of a {@link PodState} that every attempt on the pod reads or writes, declared apart
 * so that HotSpot lays them out first, together, right after the object's header (it places a
 * class's fields before its subclass's): an attempt touches one or two cache lines of its pod's
 * state, and {@link PodState}'s rarely written fields and padding after them keep the next pod's
 * hot fields off those lines. Pods' states lie next to each other in the heap (a collection copies
 * them so); with the fields in one class, its attempt's fields spread over 64 of a state's 80
 * bytes, and two threads' attempts on neighbouring pods could write one line (issue 23: an
 * attempt at 2 threads). Only {@link PodState} extends it; its javadoc says who writes what.
 */
abstract class PodHotFields {
    // Written by request threads (through PodState's VarHandles): every attempt's start and end.
    volatile int inFlight;
    volatile int consecutiveFailures;
    volatile long latencyNanos;
    volatile long latencyStampNanos;

    // Written on the serial context, read by every attempt's end.
    volatile boolean ejected;
    volatile boolean onTrial;
    /**
     * Counts the pod's readmissions: an attempt carries the generation it started in, and only an
     * attempt started in the current one decides a trial.
     */
    volatile int generation;

    /** The failure-rate detector, only when the policy has one (it takes locks and memory). */
    final CircuitBreaker failureRate;
    /**
     * Requests in flight over every pod of the load balancer, beside this pod's own count;
     * {@code null} when no picker reads the total.
     */
    final LongAdder allInFlight;

    PodHotFields(CircuitBreaker failureRate, LongAdder allInFlight) {
        this.failureRate = failureRate;
        this.allInFlight = allInFlight;
    }
}
