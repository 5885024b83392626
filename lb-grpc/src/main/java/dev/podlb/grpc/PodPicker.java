package dev.podlb.grpc;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.WhenPinUnavailable;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The channel's picker while at least one pod is connected: podlb picks the pod of each call (its
 * picker, ejections, pins, zones), and the call goes to that pod's subchannel. A pod whose
 * subchannel is not READY is avoided while a connected one can take the call, and so is a pod the
 * call already tried (a retry), when the call carries {@link TriedPods}.
 *
 * <p>Immutable, built on the channel's synchronization context each time a subchannel's state or
 * podlb's set changes; {@link #pickSubchannel} runs on any thread that starts a call, takes no
 * lock; beyond the {@code PickResult} it allocates a request only for a call with a sticky key or
 * a pin, and a set to avoid only for a retry.
 */
final class PodPicker extends SubchannelPicker {
    /** A connected pod: where its calls go and what counts them. */
    static final class Connected {
        final Subchannel subchannel;
        final ClientStreamTracer.Factory tracer;

        Connected(Subchannel subchannel, ClientStreamTracer.Factory tracer) {
            this.subchannel = subchannel;
            this.tracer = tracer;
        }
    }

    private final LoadBalancer lb;
    private final PodlbPolicy policy;
    private final Map<InetSocketAddress, Connected> ready;
    /**
     * The connected pods by the endpoints of podlb's set when this picker was built, which its
     * picks return while that set is current: found by identity, without hashing an address. A
     * pick that returns another object for the pod (from a set published since, or a picker that
     * kept an equal older one) finds its pod in {@link #ready}.
     */
    private final IdentityHashMap<Endpoint, Connected> byEndpoint = new IdentityHashMap<>();
    /** Every pod known to podlb or to the channel that is not READY now. */
    private final Set<InetSocketAddress> notReady;
    /** Pods whose subchannel is connecting: a call pinned to one waits for it rather than failing. */
    private final Set<InetSocketAddress> connecting;

    PodPicker(LoadBalancer lb, PodlbPolicy policy, Map<InetSocketAddress, Connected> ready,
              Set<InetSocketAddress> notReady, Set<InetSocketAddress> connecting) {
        this.lb = lb;
        this.policy = policy;
        this.ready = Map.copyOf(ready);
        this.notReady = Set.copyOf(notReady);
        this.connecting = Set.copyOf(connecting);
        for (Endpoint endpoint : lb.endpoints().endpoints()) {
            Connected pod = this.ready.get(endpoint.socketAddress());
            if (pod != null) {
                byEndpoint.put(endpoint, pod);
            }
        }
    }

    private Connected connected(Endpoint endpoint) {
        Connected pod = byEndpoint.get(endpoint);
        return pod != null ? pod : ready.get(endpoint.socketAddress());
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
        PickRequest request = request(args.getCallOptions(), args.getHeaders());
        TriedPods tried = args.getCallOptions().getOption(TriedPods.KEY);
        Set<InetSocketAddress> triedPods = tried == null ? Set.of() : tried.get();
        Endpoint endpoint;
        try {
            endpoint = triedPods.isEmpty() || request.pin() != null ? lb.pick(request)
                    : lb.pickAvoiding(request, union(triedPods, notReady));
        } catch (NoEndpointException e) {
            return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
        }
        Connected pod = connected(endpoint);
        if (pod != null) {
            return PickResult.withSubchannel(pod.subchannel, pod.tracer);
        }
        if (request.pin() != null) {
            if (policy.whenPinUnavailable() == WhenPinUnavailable.FAIL) {
                return connecting.contains(endpoint.socketAddress()) ? PickResult.withNoResult()
                        : PickResult.withError(Status.UNAVAILABLE.withDescription("pod " + endpoint
                        + " of service " + lb.service() + ", to which the call is pinned, is not connected"));
            }
            request = unpinned(request);
        }
        try {
            endpoint = lb.pickAvoiding(request, notReady);
        } catch (NoEndpointException e) {
            return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
        }
        pod = connected(endpoint);
        // Nothing podlb may pick is connected (its set and the channel's differ for a moment): the call waits
        // for the next picker, which comes with the next change of either.
        return pod != null ? PickResult.withSubchannel(pod.subchannel, pod.tracer) : PickResult.withNoResult();
    }

    /** A retry's set to avoid: allocated only for a call that already reached a pod. */
    private static Set<InetSocketAddress> union(Set<InetSocketAddress> tried, Set<InetSocketAddress> notReady) {
        Set<InetSocketAddress> both = new HashSet<>(notReady);
        both.addAll(tried);
        return both;
    }

    private PickRequest request(CallOptions options, Metadata headers) {
        String sticky = options.getOption(PodlbGrpc.STICKY_KEY);
        if (sticky == null && policy.stickyMetadataKey() != null) {
            sticky = headers.get(policy.stickyMetadataKey());
        }
        String pin = options.getOption(PodlbGrpc.PIN);
        if (pin == null && policy.pinMetadataKey() != null) {
            pin = headers.get(policy.pinMetadataKey());
        }
        if (sticky == null && pin == null) {
            return PickRequest.none();
        }
        return PickRequest.builder().stickyKey(sticky).pin(pin).build();
    }

    private static PickRequest unpinned(PickRequest request) {
        return request.stickyKey() == null ? PickRequest.none() : PickRequest.sticky(request.stickyKey());
    }

    @Override
    public String toString() {
        return "PodPicker{" + lb.service() + ", ready=" + ready.keySet() + ", notReady=" + notReady + "}";
    }
}
