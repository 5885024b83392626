package dev.podlb.benchmarks.peers;

/**
 * One library's picker over a fixed list of endpoints, built once and then asked per request:
 * the same work podlb's {@code LoadBalancer.pick} does. {@code key} is the request's sticky key
 * (ignored by pickers that are not sticky); the result identifies the chosen endpoint.
 */
@FunctionalInterface
public interface PeerPicker {
    Object pick(long key);
}
