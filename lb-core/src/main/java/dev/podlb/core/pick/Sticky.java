package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Sticky sessions: a request's key maps to one endpoint through a {@link SlotTable}, a pure
 * function of the pickable endpoints, so every client replica agrees with no shared state.
 * A key bound in the {@link AffinityMemory} goes to its bound endpoint while that is pickable.
 * Requests without a key are spread round-robin.
 */
final class Sticky implements Picker.Factory {
    private final AffinityMemory memory;
    private final RoundRobin keyless = new RoundRobin();
    /**
     * The last table built: the next is derived from it, touching only the slots of pods that came
     * or went. An update equals a fresh build whichever table it starts from, so this only saves work.
     */
    private volatile SlotTable last;

    Sticky(AffinityMemory memory) {
        this.memory = memory;
    }

    @Override
    public Picker newPicker(PickableEndpoints pickable) {
        List<Endpoint> endpoints = pickable.endpoints();
        SlotTable previous = last;
        SlotTable table = previous == null ? SlotTable.of(endpoints) : previous.update(endpoints);
        last = table;
        return new StickyPicker(table, pickable, memory, keyless.newPicker(pickable));
    }

    @Override
    public String toString() {
        return memory == null ? "sticky" : "sticky with " + memory;
    }

    private static final class StickyPicker implements Picker {
        private final SlotTable table;
        private final PickableEndpoints pickable;
        private final AffinityMemory memory;
        private final Picker keyless;

        StickyPicker(SlotTable table, PickableEndpoints pickable, AffinityMemory memory, Picker keyless) {
            this.table = table;
            this.pickable = pickable;
            this.memory = memory;
            this.keyless = keyless;
        }

        @Override
        public Endpoint pick(PickRequest request) {
            String key = request.stickyKey();
            if (key == null) {
                return keyless.pick(request);
            }
            if (memory != null) {
                InetSocketAddress bound = memory.boundTo(key);
                Endpoint endpoint = bound == null ? null : pickable.pickable(bound);
                if (endpoint != null) {
                    return endpoint;
                }
            }
            return table.ownerOf(Hashing.ofKey(key));
        }

        @Override
        public String toString() {
            return "sticky over " + pickable.endpoints().size() + " endpoints";
        }
    }
}
