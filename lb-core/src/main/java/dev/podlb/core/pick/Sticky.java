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

    /** One load balancer's sticky table, kept from one picker to the next. */
    private static final class Instance implements PickerInstance {
        private final AffinityMemory memory;
        private final RoundRobin.Instance keyless = new RoundRobin.Instance();
        /** The last table and the endpoints it was built for: a rebuild for the same ones reuses it. */
        private List<Endpoint> lastEndpoints;
        private SlotTable lastTable;

        Instance(AffinityMemory memory) {
            this.memory = memory;
        }

        @Override
        public Picker newPicker(PickableEndpoints pickable) {
            List<Endpoint> endpoints = pickable.endpoints();
            if (lastTable == null || !sameIdentities(lastEndpoints, endpoints)) {
                lastTable = SlotTable.build(endpoints);
                lastEndpoints = endpoints;
            }
            return new StickyPicker(endpoints.toArray(new Endpoint[0]), lastTable, pickable, memory,
                    keyless.newPicker(pickable));
        }

        private static boolean sameIdentities(List<Endpoint> a, List<Endpoint> b) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!a.get(i).sameIdentity(b.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return memory == null ? "sticky" : "sticky with " + memory;
        }
    }

    private static final class StickyPicker implements Picker {
        private final Endpoint[] endpoints;
        private final SlotTable table;
        private final PickableEndpoints pickable;
        private final AffinityMemory memory;
        private final Picker keyless;

        StickyPicker(Endpoint[] endpoints, SlotTable table, PickableEndpoints pickable, AffinityMemory memory,
                     Picker keyless) {
            this.endpoints = endpoints;
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
            return endpoints[table.ownerOf(Hashing.ofKey(key))];
        }

        @Override
        public String toString() {
            return "sticky over " + endpoints.length + " endpoints";
        }
    }
}
