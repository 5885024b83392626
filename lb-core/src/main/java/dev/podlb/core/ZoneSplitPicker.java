package dev.podlb.core;

import dev.podlb.core.internal.Hashing;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Picker;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends a share of the calls to the local pods' picker, a share to the near ones' (the rest of the
 * node's zone, under node hints) and the rest to the remote ones', when the local place runs short
 * ({@link Routing}). A request with a sticky key is placed by its key, so that the same key keeps its
 * side while the shares hold; others by a random draw. Immutable; a pick draws once and compares at
 * most twice.
 */
final class ZoneSplitPicker implements Picker {
    private final Picker local;
    private final Picker near;
    private final Picker remote;
    /** Out of 65,536: draws below it go local. */
    private final int toLocal;
    /** Out of 65,536: draws from {@link #toLocal} up to below it go near, the others remote. */
    private final int toNear;

    /**
     * A side whose picker is null must get no draw: {@code toLocal} 0 for a null {@code local},
     * {@code toNear == toLocal} for a null {@code near}, {@code toNear} 65,536 for a null {@code remote}.
     */
    ZoneSplitPicker(Picker local, Picker near, Picker remote, int toLocal, int toNear) {
        if ((local == null && toLocal > 0) || (near == null && toNear > toLocal)
                || (remote == null && toNear < 1 << 16)) {
            throw new IllegalArgumentException("a side without a picker gets draws: local " + local + " below "
                    + toLocal + ", near " + near + " below " + toNear + ", remote " + remote + " above");
        }
        this.local = local;
        this.near = near;
        this.remote = remote;
        this.toLocal = toLocal;
        this.toNear = toNear;
    }

    @Override
    public Endpoint pick(PickRequest request) {
        String key = request.stickyKey();
        // The low bits of the key's hash: the slot table reads its high ones.
        int draw = key != null ? (int) (Hashing.ofKey(key) & 0xFFFF) : ThreadLocalRandom.current().nextInt(1 << 16);
        if (draw < toLocal) {
            return local.pick(request);
        }
        return draw < toNear ? near.pick(request) : remote.pick(request);
    }

    @Override
    public String toString() {
        return "zone split (" + toLocal * 100 / 65536 + "% local, " + (toNear - toLocal) * 100 / 65536 + "% near) of "
                + local + ", " + near + " and " + remote;
    }
}
