package dev.podlb.core.discovery.kubernetes;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Tells a watch that died unnoticed from one that is merely a moment behind. Each check compares
 * the EndpointSlices listed from the API server with the informer's, by resourceVersion. A
 * difference alone proves nothing: an event may be on its way. The watch is stale only when, at
 * the next check, a slice that differed still differs and the informer still holds the version it
 * held then: nothing reached it in a whole check interval.
 *
 * <p>Not thread-safe: one resolver's checks run one at a time.
 */
final class WatchFreshness {
    /** Stands for a slice the informer does not hold. */
    private static final String ABSENT = "";

    /** The slices that differed at the last check, with the version the informer held for each. */
    private Map<String, String> lagging = Map.of();

    /**
     * Records one check's versions (slice name to resourceVersion, listed and watched) and says
     * whether the watch is stale.
     */
    boolean isStale(Map<String, String> listed, Map<String, String> watched) {
        Set<String> names = new HashSet<>(listed.keySet());
        names.addAll(watched.keySet());
        Map<String, String> differing = new HashMap<>();
        for (String name : names) {
            if (!Objects.equals(listed.get(name), watched.get(name))) {
                differing.put(name, watched.getOrDefault(name, ABSENT));
            }
        }
        boolean stale = false;
        for (Map.Entry<String, String> slice : differing.entrySet()) {
            stale |= slice.getValue().equals(lagging.get(slice.getKey()));
        }
        lagging = stale ? Map.of() : differing;
        return stale;
    }

    /** Whether the last check found a difference still to be confirmed or cleared by the next. */
    boolean hasDifference() {
        return !lagging.isEmpty();
    }

    /** Forgets what was seen: the informer it was about was replaced or has not synced. */
    void reset() {
        lagging = Map.of();
    }
}
