package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.net.InetSocketAddress;

/**
 * Sticky sessions: a request's key maps to one endpoint through a {@link SlotTable}, a pure
 * function of the pickable endpoints, so every client replica agrees with no shared state.
 * A key bound in the {@link AffinityMemory} goes to its bound endpoint while that is pickable.
 * Requests without a key are spread round-robin.
 */
final class Sticky implements PickerPolicy {
    static final Sticky POLICY = new Sticky(null);

    private final AffinityMemory memory;

    Sticky(AffinityMemory memory) {
        this.memory = memory;
    }

    @Override
    public PickerInstance newInstance(PickerContext context) {
        return new Instance(memory);
    }

    @Override
    public String toString() {
        return memory == null ? "sticky" : "sticky with " + memory;
    }

    /** One load balancer's sticky table, derived from one set to the next. */
    private static final class Instance implements PickerInstance {
        private final AffinityMemory memory;
        private final RoundRobin.Instance keyless = new RoundRobin.Instance();
        /**
         * The last table built: the next is derived from it, touching only the slots of pods that
         * came or went. An update equals a fresh build whichever table it starts from, so this only
         * saves work. Read and written on the load balancer's serial context only.
         */
        private SlotTable last;

        Instance(AffinityMemory memory) {
            this.memory = memory;
        }

        @Override
        public Picker newPicker(PickableEndpoints pickable) {
            last = last == null ? SlotTable.of(pickable.endpoints()) : last.update(pickable.endpoints());
            return new StickyPicker(last, pickable, memory, keyless.newPicker(pickable));
        }

        @Override
        public String toString() {
            return memory == null ? "sticky" : "sticky with " + memory;
        }
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
