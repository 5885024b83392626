package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Endpoints and pickers for picker tests. */
final class Fixtures {
    private Fixtures() {}

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
        EndpointSet set = EndpointSet.of(1, endpoints);
        return new PickableEndpoints("backend", set, set.endpoints(), Set.of(), false);
    }

    static Picker picker(Picker.Factory factory, List<Endpoint> endpoints) {
        return factory.newPicker(pickable(endpoints));
    }
}
