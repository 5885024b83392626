package dev.podlb.grpc;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.Target;
import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes the sets of one podlb resolver to a gRPC channel: one address group per pod, carrying
 * the pod's {@link Endpoint} (name, zone, readiness, weight) for the {@value PodlbGrpc#POLICY_NAME}
 * policy. Terminating pods are published too: the policy keeps their open streams and gives them
 * no new calls while ready pods exist.
 *
 * <p><b>Threads.</b> gRPC calls {@link #start}, {@link #refresh} and {@link #shutdown} on the
 * channel's {@link SynchronizationContext}; podlb's discovery threads only hand sets and errors
 * to that context, where they reach the channel in the order discovery published them.
 */
final class PodlbNameResolver extends NameResolver {
    private final Target target;
    private final String authority;
    private final Discovery discovery;
    private final SynchronizationContext syncContext;
    private final ChannelLogger logger;

    // Synchronization context only.
    private Listener2 listener;
    private Resolver resolver;
    private Resolver.Subscription subscription;
    private boolean resolved;
    private boolean shutdown;

    PodlbNameResolver(Target target, String authority, Discovery discovery, SynchronizationContext syncContext,
                      ChannelLogger logger) {
        this.target = target;
        this.authority = authority;
        this.discovery = discovery;
        this.syncContext = syncContext;
        this.logger = logger;
    }

    @Override
    public String getServiceAuthority() {
        return authority;
    }

    @Override
    public void start(Listener2 listener) {
        this.listener = listener;
        try {
            resolver = discovery.open(target);
        } catch (RuntimeException e) {
            // No Kubernetes client can be configured, say: every call fails with why, rather than the channel's start.
            listener.onError(Status.UNAVAILABLE.withDescription("podlb cannot resolve " + target + ": " + e.getMessage())
                    .withCause(e));
            return;
        }
        subscription = resolver.subscribe(new Resolver.Listener() {
            @Override
            public void onEndpoints(EndpointSet set) {
                syncContext.execute(() -> deliver(set));
            }

            @Override
            public void onError(Throwable error) {
                syncContext.execute(() -> fail(error));
            }
        });
    }

    private void deliver(EndpointSet set) {
        if (shutdown) {
            return;
        }
        List<EquivalentAddressGroup> groups = new ArrayList<>(set.size());
        for (Endpoint endpoint : set.endpoints()) {
            groups.add(new EquivalentAddressGroup(endpoint.socketAddress(),
                    Attributes.newBuilder().set(PodlbGrpc.ENDPOINT, endpoint).build()));
        }
        Attributes.Builder attributes = Attributes.newBuilder();
        set.trafficDistribution().ifPresent(d -> attributes.set(PodlbGrpc.TRAFFIC_DISTRIBUTION, d));
        resolved = true;
        Status accepted = listener.onResult2(ResolutionResult.newBuilder()
                .setAddressesOrError(StatusOr.fromValue(groups)).setAttributes(attributes.build()).build());
        if (!accepted.isOk()) {
            logger.log(ChannelLogger.ChannelLogLevel.WARNING, "the channel's policy refused " + set.size()
                    + " endpoints of " + target + ": " + accepted);
        }
    }

    private void fail(Throwable error) {
        if (shutdown) {
            return;
        }
        if (resolved) {
            // podlb keeps the last set while discovery fails: a DNS or API server outage must not empty the channel.
            logger.log(ChannelLogger.ChannelLogLevel.WARNING, "podlb discovery of " + target
                    + " failed; the last endpoints stay in use: " + error.getMessage());
            return;
        }
        listener.onError(Status.UNAVAILABLE.withDescription("podlb could not resolve " + target + ": "
                + error.getMessage()).withCause(error));
    }

    /**
     * Does nothing: podlb's discovery re-resolves on its own (DNS at the records' TTL, Kubernetes
     * through its watch), so a failing connection needs no extra lookup.
     */
    @Override
    public void refresh() {}

    @Override
    public void shutdown() {
        if (shutdown) {
            return;
        }
        shutdown = true;
        if (subscription != null) {
            subscription.close();
        }
        if (resolver != null) {
            resolver.close();
        }
    }

    @Override
    public String toString() {
        return "PodlbNameResolver{" + target + "}";
    }
}
