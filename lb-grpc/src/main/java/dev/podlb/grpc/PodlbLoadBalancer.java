package dev.podlb.grpc;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancerListener;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One channel's {@value PodlbGrpc#POLICY_NAME} policy: a subchannel per pod the channel's resolver
 * found, kept connected (a pod is connected before it is picked: a call goes only to a READY
 * subchannel while one exists), and a podlb {@link dev.podlb.core.LoadBalancer} over the same pods
 * that picks each call. A pod that leaves the set has its subchannel shut down, which lets its
 * open streams finish; a terminating pod stays, taking no new calls while ready pods exist.
 *
 * <p><b>Threads.</b> gRPC calls every method here on the channel's {@link SynchronizationContext};
 * subchannel states and podlb's set changes are handed to that context too, so the subchannel
 * map and the picker are only touched there. Picks run on the callers' threads against the
 * immutable {@link PodPicker}.
 */
final class PodlbLoadBalancer extends LoadBalancer {
    private final Helper helper;
    private final SynchronizationContext syncContext;
    private final ChannelAddresses addresses;
    private final PodlbPolicy defaultPolicy;
    private final Map<InetSocketAddress, Pod> pods = new HashMap<>();

    // Synchronization context only.
    private PodlbPolicy policy;
    private StatusOutcomes outcomes;
    private dev.podlb.core.LoadBalancer lb;
    private boolean resolvedOnce;
    private Status resolutionError;
    private ConnectivityState state;
    private boolean shutdown;

    PodlbLoadBalancer(Helper helper, PodlbPolicy defaultPolicy) {
        this.helper = helper;
        this.syncContext = helper.getSynchronizationContext();
        this.defaultPolicy = defaultPolicy;
        this.addresses = new ChannelAddresses("grpc channel " + helper.getChannelTarget());
    }

    /** A pod's subchannel and what the channel knows of it. */
    private static final class Pod {
        final Subchannel subchannel;
        Endpoint endpoint;
        ConnectivityStateInfo state = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);

        Pod(Subchannel subchannel, Endpoint endpoint) {
            this.subchannel = subchannel;
            this.endpoint = endpoint;
        }
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        if (shutdown) {
            return Status.OK;
        }
        Object config = resolved.getLoadBalancingPolicyConfig();
        PodlbPolicy wanted = config instanceof PodlbPolicy ? (PodlbPolicy) config : defaultPolicy;
        Map<InetSocketAddress, EquivalentAddressGroup> groups = new LinkedHashMap<>();
        List<Endpoint> endpoints = new ArrayList<>();
        for (EquivalentAddressGroup group : resolved.getAddresses()) {
            Endpoint known = group.getAttributes().get(PodlbGrpc.ENDPOINT);
            for (SocketAddress address : group.getAddresses()) {
                if (!(address instanceof InetSocketAddress) || groups.containsKey(address)) {
                    continue;
                }
                InetSocketAddress inet = (InetSocketAddress) address;
                if (inet.isUnresolved()) {
                    continue;
                }
                Endpoint endpoint = known != null && known.socketAddress().equals(inet) ? known
                        : Endpoint.of(inet.getAddress(), inet.getPort());
                groups.put(inet, new EquivalentAddressGroup(inet, group.getAttributes()));
                endpoints.add(endpoint);
            }
        }
        if (endpoints.isEmpty() && !resolved.getAddresses().isEmpty()) {
            Status refused = Status.UNAVAILABLE.withDescription("podlb balances IP addresses; the resolver of "
                    + helper.getChannelTarget() + " gave " + resolved.getAddresses());
            handleNameResolutionError(refused);
            return refused;
        }
        EndpointSet set = EndpointSet.of(0, endpoints);
        String distribution = resolved.getAttributes().get(PodlbGrpc.TRAFFIC_DISTRIBUTION);
        if (distribution != null) {
            set = set.withTrafficDistribution(distribution);
        }
        resolvedOnce = true;
        resolutionError = null;
        addresses.update(set);
        if (lb == null || !policy.sameSettings(wanted)) {
            startLoadBalancer(wanted);
        }
        for (Map.Entry<InetSocketAddress, EquivalentAddressGroup> entry : groups.entrySet()) {
            Pod pod = pods.get(entry.getKey());
            Endpoint endpoint = set.find(entry.getKey());
            if (pod == null) {
                connect(entry.getKey(), entry.getValue(), endpoint);
            } else {
                pod.endpoint = endpoint;
            }
        }
        for (Iterator<Map.Entry<InetSocketAddress, Pod>> it = pods.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<InetSocketAddress, Pod> entry = it.next();
            if (!groups.containsKey(entry.getKey())) {
                // gRPC shuts a subchannel's transport down gracefully: streams open on it run to their end.
                entry.getValue().subchannel.shutdown();
                it.remove();
            }
        }
        updateBalancingState();
        return Status.OK;
    }

    private void startLoadBalancer(PodlbPolicy wanted) {
        if (lb != null) {
            lb.close();
            policy.closed(lb);
        }
        policy = wanted;
        outcomes = new StatusOutcomes(wanted.failureStatusCodes());
        lb = wanted.newLoadBalancer(helper.getAuthority(), addresses, new LoadBalancerListener() {
            @Override
            public void endpointsChanged(String service, EndpointSet set) {
                // Which pods podlb may pick changed: the picker's view of the unconnected ones must follow.
                syncContext.execute(PodlbLoadBalancer.this::updateBalancingState);
            }
        });
    }

    private void connect(InetSocketAddress address, EquivalentAddressGroup group, Endpoint endpoint) {
        Subchannel subchannel = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group)
                .setAttributes(Attributes.EMPTY).build());
        Pod pod = new Pod(subchannel, endpoint);
        pods.put(address, pod);
        subchannel.start(info -> onSubchannelState(address, pod, info));
        subchannel.requestConnection();
    }

    private void onSubchannelState(InetSocketAddress address, Pod pod, ConnectivityStateInfo info) {
        syncContext.throwIfNotInThisSynchronizationContext();
        if (shutdown || pods.get(address) != pod || info.getState() == ConnectivityState.SHUTDOWN) {
            return;
        }
        pod.state = info;
        if (info.getState() == ConnectivityState.IDLE) {
            // A pod's connection closed (a GOAWAY, an idle timeout): reconnect now, so that it is ready before it is
            // picked; and ask the resolver again, as round_robin does (gRPC's dns:/// re-resolves only when asked;
            // podlb's resolvers follow their sources and ignore it).
            pod.subchannel.requestConnection();
            helper.refreshNameResolution();
        } else if (info.getState() == ConnectivityState.TRANSIENT_FAILURE) {
            helper.refreshNameResolution();
        }
        updateBalancingState();
    }

    private void updateBalancingState() {
        syncContext.throwIfNotInThisSynchronizationContext();
        if (shutdown || lb == null) {
            return;
        }
        Map<InetSocketAddress, PodPicker.Connected> ready = new HashMap<>();
        Set<InetSocketAddress> notReady = new HashSet<>();
        Set<InetSocketAddress> connecting = new HashSet<>();
        Status failure = null;
        for (Map.Entry<InetSocketAddress, Pod> entry : pods.entrySet()) {
            Pod pod = entry.getValue();
            switch (pod.state.getState()) {
                case READY:
                    ready.put(entry.getKey(), new PodPicker.Connected(pod.subchannel,
                            new OutcomeTracer(lb, pod.endpoint, outcomes)));
                    break;
                case TRANSIENT_FAILURE:
                    notReady.add(entry.getKey());
                    failure = pod.state.getStatus();
                    break;
                default:
                    notReady.add(entry.getKey());
                    connecting.add(entry.getKey());
            }
        }
        for (Endpoint endpoint : lb.endpoints().endpoints()) {
            if (!ready.containsKey(endpoint.socketAddress())) {
                notReady.add(endpoint.socketAddress());
            }
        }
        if (!ready.isEmpty()) {
            update(ConnectivityState.READY, new PodPicker(lb, policy, ready, notReady, connecting));
        } else if (!connecting.isEmpty() || (!resolvedOnce && resolutionError == null)) {
            update(ConnectivityState.CONNECTING, new FixedResultPicker(PickResult.withNoResult()));
        } else if (pods.isEmpty()) {
            Status why = resolutionError != null ? resolutionError : Status.UNAVAILABLE.withDescription(
                    "service " + lb.service() + " has no endpoints (" + helper.getChannelTarget() + ")");
            update(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(why)));
        } else {
            Status why = Status.UNAVAILABLE.withDescription("no pod of service " + lb.service() + " is connected ("
                    + pods.size() + " known, all failing); last failure: " + failure.getCode()
                    + (failure.getDescription() == null ? "" : " " + failure.getDescription())).withCause(failure.getCause());
            update(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(why)));
        }
    }

    private void update(ConnectivityState newState, SubchannelPicker picker) {
        state = newState;
        helper.updateBalancingState(newState, picker);
    }

    @Override
    public void handleNameResolutionError(Status error) {
        if (shutdown) {
            return;
        }
        if (!pods.isEmpty()) {
            // The last pods stay in use while discovery fails, as podlb's resolvers keep their last set.
            addresses.fail(error.asException());
            return;
        }
        resolutionError = Status.UNAVAILABLE.withDescription("podlb has no endpoints for " + helper.getChannelTarget()
                + ": " + error.getCode() + (error.getDescription() == null ? "" : " " + error.getDescription()))
                .withCause(error.getCause());
        if (lb == null) {
            update(ConnectivityState.TRANSIENT_FAILURE, new FixedResultPicker(PickResult.withError(resolutionError)));
        } else {
            updateBalancingState();
        }
    }

    @Override
    public boolean canHandleEmptyAddressListFromNameResolution() {
        return true;
    }

    @Override
    public void requestConnection() {
        for (Pod pod : pods.values()) {
            pod.subchannel.requestConnection();
        }
    }

    @Override
    public void shutdown() {
        if (shutdown) {
            return;
        }
        shutdown = true;
        for (Pod pod : pods.values()) {
            pod.subchannel.shutdown();
        }
        pods.clear();
        if (lb != null) {
            lb.close();
            policy.closed(lb);
        }
    }

    @Override
    public String toString() {
        return "PodlbLoadBalancer{" + helper.getChannelTarget() + ", " + state + ", " + pods.size() + " pods, "
                + (lb == null ? "not started" : lb.status()) + "}";
    }
}
