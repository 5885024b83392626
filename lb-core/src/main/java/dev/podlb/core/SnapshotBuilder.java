package dev.podlb.core;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.EndpointStats;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerInstance;
import dev.podlb.core.topology.TopologyPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a set and the pods ejected now into the {@link Snapshot} picks read: which candidates are
 * healthy, whether the service is in panic (too few healthy, so every candidate is picked), where
 * calls go by topology, and the picker over them. It decides nothing else and touches no shared
 * state but the picker instances it builds with (a picker instance keeps its own state across
 * builds, such as a round-robin position). Called on the serial context only, since picker
 * instances are not thread-safe.
 */
final class SnapshotBuilder {
    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final String service;
    private final Supplier<String> target;
    private final EjectionPolicy ejection;
    private final TopologyPolicy topology;
    private final Pinning pinning;
    private final PickerInstance pickers;
    /**
     * Makes the picker instances of the sides calls spill to, each when first needed: the near
     * side's (the rest of the node's zone) and the remote side's picks keep their own state.
     */
    private final Supplier<PickerInstance> remotePickers;
    private PickerInstance near;
    private PickerInstance remote;
    private final Function<InetSocketAddress, ? extends EndpointStats> stats;
    private final LongSupplier inFlight;
    private final Supplier<Throwable> lastError;

    /**
     * @param target        the resolver's description, for the message of a set with no endpoint
     * @param remotePickers makes a picker instance for a side that calls spill to, when first needed
     * @param stats         each pod's live figures, handed to pickers
     * @param inFlight      requests in flight over the load balancer, live
     * @param lastError     discovery's last error, added to failing picks' messages
     */
    SnapshotBuilder(String service, Supplier<String> target, EjectionPolicy ejection, TopologyPolicy topology,
                    Pinning pinning, PickerInstance pickers, Supplier<PickerInstance> remotePickers,
                    Function<InetSocketAddress, ? extends EndpointStats> stats, LongSupplier inFlight,
                    Supplier<Throwable> lastError) {
        this.service = service;
        this.target = target;
        this.ejection = ejection;
        this.topology = topology;
        this.pinning = pinning;
        this.pickers = pickers;
        this.remotePickers = remotePickers;
        this.stats = stats;
        this.inFlight = inFlight;
        this.lastError = lastError;
    }

    /**
     * The snapshot of {@code set} with the pods at {@code ejected} out of rotation (addresses not in
     * the set are ignored): its candidates, the healthy ones among them, the panic decision, the
     * routing and the picker.
     */
    Snapshot build(EndpointSet set, Set<InetSocketAddress> ejected) {
        if (pinning.used()) {
            set.indexPodNames(); // here rather than on the first pinned request after each set
        }
        List<Endpoint> candidates = set.candidates();
        List<Endpoint> healthy = candidates; // the same list when no candidate is ejected, which views recognise
        Set<InetSocketAddress> ejectedHere = Set.of();
        if (!ejected.isEmpty()) {
            healthy = new ArrayList<>(candidates.size());
            ejectedHere = new HashSet<>();
            for (Endpoint e : set.endpoints()) {
                if (ejected.contains(e.socketAddress())) {
                    ejectedHere.add(e.socketAddress());
                } else if (e.readiness() == set.candidateReadiness()) {
                    healthy.add(e);
                }
            }
            if (ejectedHere.isEmpty()) {
                healthy = candidates; // the pods ejected have left the set
            }
        }
        if (candidates.isEmpty()) {
            return set.isEmpty()
                    ? Snapshot.failing(service, set, ejectedHere.size(), NoEndpointException.Reason.NONE_DISCOVERED,
                            "no endpoint discovered for service " + service + " by " + target.get(), lastError)
                    : Snapshot.failing(service, set, ejectedHere.size(), NoEndpointException.Reason.NONE_READY,
                            "no ready endpoint for service " + service, lastError);
        }
        boolean panic = ejection.isPanic(healthy.size(), candidates.size());
        Routing routing = panic ? Routing.cluster(candidates, "panic: too few healthy endpoints, so every candidate is"
                + " picked wherever it is") : Routing.of(topology, set, candidates, healthy);
        PickableView view = view(set, panic ? candidates : healthy, ejectedHere, panic);
        return new Snapshot(service, set, true, routedPicker(routing, view, ejectedHere), view, candidates,
                healthy.size(), ejectedHere.size(), panic, routing, pinning, pickers);
    }

    /**
     * The picker over {@code routing}'s endpoints: the whole view, the local ones, or the sides of a
     * spill (local, near, remote), each side's picker built over its endpoints here so that a pick
     * only draws and delegates.
     */
    private Picker routedPicker(Routing routing, PickableView all, Set<InetSocketAddress> ejected) {
        if (routing.rule() == Routing.Rule.CLUSTER) {
            return buildPicker(pickers, all);
        }
        EndpointSet set = all.set();
        Picker local = routing.local().isEmpty() ? null
                : buildPicker(pickers, view(set, routing.local(), ejected, false));
        if (!routing.spills()) {
            return local != null ? local : buildPicker(pickers, view(set, List.of(), ejected, false));
        }
        Picker near = routing.near().isEmpty() ? null
                : buildPicker(near(), view(set, routing.near(), ejected, false));
        Picker remote = routing.remote().isEmpty() ? null
                : buildPicker(remote(), view(set, routing.remote(), ejected, false));
        return routing.split(local, near, remote);
    }

    private PickableView view(EndpointSet set, List<Endpoint> endpoints, Set<InetSocketAddress> ejected, boolean panic) {
        return new PickableView(service, set, endpoints, ejected, panic, stats, inFlight);
    }

    private PickerInstance near() {
        if (near == null) {
            near = remotePickers.get();
        }
        return near;
    }

    private PickerInstance remote() {
        if (remote == null) {
            remote = remotePickers.get();
        }
        return remote;
    }

    private Picker buildPicker(PickerInstance instance, PickableView view) {
        try {
            return instance.newPicker(view);
        } catch (RuntimeException e) {
            log.error("{}: picker {} failed to build over {}", service, instance, view, e);
            return request -> {
                NoEndpointException failure = view.noEndpoint(NoEndpointException.Reason.PICKER_FAILED,
                        "picker " + instance + " of service " + service + " failed to build: " + e);
                failure.initCause(e);
                throw failure;
            };
        }
    }

    int panicThresholdPercent() {
        return ejection.panicThresholdPercent();
    }

    @Override
    public String toString() {
        return "SnapshotBuilder{" + service + ", " + pickers + ", " + ejection + "}";
    }
}
