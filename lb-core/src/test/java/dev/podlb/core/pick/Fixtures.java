package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.time.ManualScheduler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Endpoints and pickers for picker tests. */
final class Fixtures {
    private Fixtures() {}

    /** How many of {@code picks} unkeyed picks each endpoint got. */
    static Map<Endpoint, Integer> count(Picker picker, int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(picker.pick(PickRequest.none()), 1, Integer::sum);
        }
        return counts;
    }

    /** {@code n} ready endpoints 10.0.x.y:8080, numbered from 1. */
    static List<Endpoint> endpoints(int n) {
        return endpoints(1, n);
    }

    /** Ready endpoints numbered {@code from} to {@code from + n - 1}. */
    static List<Endpoint> endpoints(int from, int n) {
        List<Endpoint> list = new ArrayList<>(n);
        for (int i = from; i < from + n; i++) {
            list.add(Endpoint.of("10.0." + (i >> 8) + "." + (i & 0xFF), 8080));
        }
        return list;
    }

    static PickableEndpoints pickable(List<Endpoint> endpoints) {
        return PickableEndpoints.of("backend", EndpointSet.of(1, endpoints));
    }

    /** {@code pickable} of {@code set}, the {@code ejected} ones out, as a load balancer would hand them. */
    static PickableEndpoints pickable(EndpointSet set, List<Endpoint> pickable, Set<InetSocketAddress> ejected) {
        return new FakePickable(set, pickable, ejected, address -> null);
    }

    /** The instance one load balancer would make of {@code policy}. */
    static PickerInstance instance(PickerPolicy policy) {
        return policy.newInstance(PickerContext.of("backend", new ManualScheduler()));
    }

    static Picker picker(PickerPolicy policy, List<Endpoint> endpoints) {
        return picker(instance(policy), endpoints);
    }

    static Picker picker(PickerInstance instance, List<Endpoint> endpoints) {
        return instance.newPicker(pickable(endpoints));
    }
}
