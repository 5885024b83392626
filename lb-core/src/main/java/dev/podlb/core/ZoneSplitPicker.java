package dev.podlb.core;

import dev.podlb.core.internal.Hashing;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Picker;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends a share of the calls to the local pods' picker and the rest to the others', when the local
 * zone runs short ({@link Routing}). A request with a sticky key is placed by its key, so that the
 * same key keeps its side while the share holds; others by a random draw. Immutable.
 */
final class ZoneSplitPicker implements Picker {
    private final Picker local;
    private final Picker remote;
    /** Out of 65,536: draws below it go local. */
    private final int threshold;

    ZoneSplitPicker(Picker local, Picker remote, int threshold) {
        this.local = local;
        this.remote = remote;
        this.threshold = threshold;
    }

    @Override
    public Endpoint pick(PickRequest request) {
        String key = request.stickyKey();
        // The low bits of the key's hash: the slot table reads its high ones.
        int draw = key != null ? (int) (Hashing.ofKey(key) & 0xFFFF) : ThreadLocalRandom.current().nextInt(1 << 16);
        return draw < threshold ? local.pick(request) : remote.pick(request);
    }

    @Override
    public String toString() {
        return "zone split (" + threshold * 100 / 65536 + "% local) of " + local + " and " + remote;
    }
}
