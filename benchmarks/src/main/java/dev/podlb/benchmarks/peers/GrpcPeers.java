package dev.podlb.benchmarks.peers;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * gRPC-java's load-balancing pickers over a fixed list of endpoints, driven through gRPC's public
 * {@link LoadBalancer} API only: no channel, no transport, no name resolver. A minimal
 * {@link LoadBalancer.Helper} hands the policy fake subchannels that turn READY as soon as they
 * are asked to connect, so what a benchmark measures is the policy's picker alone, the same work
 * podlb's pick does.
 *
 * <p>Everything runs in the calling thread: the policy is fed its addresses through a
 * {@link SynchronizationContext}, which drains its queue (including the READY reports the fake
 * subchannels enqueue) before {@code execute} returns, so the picker is final when a factory
 * method returns.
 */
public final class GrpcPeers {
    /**
     * Why gRPC's {@code ring_hash_experimental} policy (grpc-xds) is in no table: its picker cannot
     * be keyed by a given request hash through public API in gRPC-java 1.85.1.
     *
     * <p>The ring-hash picker reads the request hash from {@code CallOptions} under
     * {@code io.grpc.xds.XdsNameResolver.RPC_HASH_KEY}, a package-private field of a
     * package-private class that only the xDS name resolver's interceptor sets; a
     * {@code CallOptions.Key} matches by identity, so an equal-named key of our own is not found.
     * The only other input, the {@code requestHashHeader} config (gRFC A76), is gated behind the
     * experimental flag {@code GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY} (off by default)
     * and hashes a header's text with XxHash64 rather than taking a given hash.
     */
    public static final String RING_HASH_UNAVAILABLE =
            "gRPC-java 1.85.1's ring_hash picker takes the request hash only from CallOptions key"
                    + " io.grpc.xds.XdsNameResolver.RPC_HASH_KEY, a package-private field of a"
                    + " package-private class, so no public API can supply it.";

    /** A name that only appears in gRPC's own diagnostics; no call is ever made. */
    private static final String AUTHORITY = "podlb-benchmark";

    /**
     * The per-pick arguments, built once: round_robin reads none of them, and building them per
     * pick would measure our allocation rather than gRPC's picker.
     */
    private static final LoadBalancer.PickSubchannelArgs PICK_ARGS = new FixedPickArgs();

    /**
     * The timer gRPC's policies may ask for. With grpc-xds on the classpath, grpc-services
     * registers a health-checking wrapper as {@code round_robin} (priority 6 over grpc-util's 5),
     * which fetches the timer for every subchannel but schedules on it only when a service config
     * enables health checks, which none does here. Its one daemon thread starts on first use, so
     * in practice never.
     */
    private static final ScheduledExecutorService TIMER = newTimer();

    private GrpcPeers() {}

    /**
     * gRPC's {@code round_robin} policy over {@code endpoints}; ignores the key. The registry
     * resolves it as a real channel on this classpath would: grpc-util's round robin inside
     * grpc-services' health-checking wrapper, which with no health-check config only passes through.
     */
    public static PeerPicker roundRobin(List<InetSocketAddress> endpoints) {
        LoadBalancer.SubchannelPicker picker = readyPicker(provider("round_robin"), endpoints);
        return key -> picker.pickSubchannel(PICK_ARGS).getSubchannel();
    }

    /**
     * podlb's gRPC policy ({@code lb-grpc}) over {@code endpoints}, configured by {@code policy}:
     * the picker a channel with {@code loadBalancingConfig: [{"podlb": ...}]} uses, driven the same
     * way as {@link #roundRobin}, so that the two rows measure one pick each through gRPC's API.
     */
    public static PeerPicker podlbPolicy(List<InetSocketAddress> endpoints, dev.podlb.grpc.PodlbPolicy policy) {
        LoadBalancer.SubchannelPicker picker = readyPicker(new dev.podlb.grpc.PodlbLoadBalancerProvider(), endpoints,
                policy);
        return key -> picker.pickSubchannel(PICK_ARGS).getSubchannel();
    }

    private static ScheduledExecutorService newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "grpc-peers-timer");
            thread.setDaemon(true); // must never keep a benchmark JVM alive
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    private static LoadBalancerProvider provider(String policy) {
        LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
        if (provider == null) {
            throw new IllegalStateException("gRPC load-balancing policy not on the classpath: " + policy);
        }
        return provider;
    }

    /**
     * Builds {@code provider}'s balancer over {@code endpoints} (one address group each, as a
     * resolver would give them), lets every subchannel turn READY, and returns the last picker
     * the balancer published while READY.
     */
    private static LoadBalancer.SubchannelPicker readyPicker(
            LoadBalancerProvider provider, List<InetSocketAddress> endpoints) {
        return readyPicker(provider, endpoints, null);
    }

    private static LoadBalancer.SubchannelPicker readyPicker(
            LoadBalancerProvider provider, List<InetSocketAddress> endpoints, Object config) {
        List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
        for (InetSocketAddress endpoint : endpoints) {
            groups.add(new EquivalentAddressGroup(endpoint));
        }
        LoadBalancer.ResolvedAddresses resolved = LoadBalancer.ResolvedAddresses.newBuilder()
                .setAddresses(groups)
                .setAttributes(Attributes.EMPTY)
                .setLoadBalancingPolicyConfig(config)
                .build();

        InlineHelper helper = new InlineHelper();
        LoadBalancer balancer = provider.newLoadBalancer(helper);
        // Balancers expect to be called from the channel's synchronization context; running the
        // update through it also runs the READY reports it queues before execute returns.
        helper.syncContext.execute(() -> {
            Status status = balancer.acceptResolvedAddresses(resolved);
            if (!status.isOk()) {
                throw new IllegalStateException(provider.getPolicyName() + " rejected the addresses: " + status);
            }
        });
        if (helper.readyPicker == null) {
            throw new IllegalStateException(provider.getPolicyName() + " never reported READY");
        }
        return helper.readyPicker;
    }

    /**
     * The channel side a balancer talks to, reduced to what the pickers need: subchannels that
     * connect at once, and a record of the picker last published as READY.
     */
    private static final class InlineHelper extends LoadBalancer.Helper {
        // Any exception in a queued task is a bug in the setup: surface it to the caller.
        final SynchronizationContext syncContext = new SynchronizationContext((thread, e) -> {
            throw new RuntimeException(e);
        });
        LoadBalancer.SubchannelPicker readyPicker;

        @Override
        public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
            return new ReadySubchannel(args, syncContext);
        }

        @Override
        public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker picker) {
            // Balancers publish interim pickers (CONNECTING, or READY over the first few children)
            // while subchannels come up; the last READY one covers them all.
            if (state == ConnectivityState.READY) {
                readyPicker = picker;
            }
        }

        @Override
        public SynchronizationContext getSynchronizationContext() {
            return syncContext;
        }

        @Override
        public ScheduledExecutorService getScheduledExecutorService() {
            return TIMER;
        }

        @Override
        public String getAuthority() {
            return AUTHORITY;
        }

        @Override
        public String getChannelTarget() {
            return "podlb+static:///" + AUTHORITY;
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return SilentLogger.INSTANCE;
        }

        @Override
        public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
            // Only look-aside policies (grpclb, rls) open out-of-band channels.
            throw new UnsupportedOperationException("no out-of-band channels in a picker benchmark");
        }
    }

    /**
     * A subchannel with no transport that reports READY when asked to connect, as a healthy
     * endpoint would a moment later.
     */
    private static final class ReadySubchannel extends LoadBalancer.Subchannel {
        private final List<EquivalentAddressGroup> addresses;
        private final Attributes attributes;
        private final SynchronizationContext syncContext;
        private LoadBalancer.SubchannelStateListener listener;
        private boolean ready;

        ReadySubchannel(LoadBalancer.CreateSubchannelArgs args, SynchronizationContext syncContext) {
            this.addresses = List.copyOf(args.getAddresses());
            this.attributes = args.getAttributes();
            this.syncContext = syncContext;
        }

        @Override
        public void start(LoadBalancer.SubchannelStateListener listener) {
            this.listener = listener;
        }

        @Override
        public void requestConnection() {
            if (listener == null || ready) {
                return;
            }
            ready = true;
            // A real subchannel reports state changes later, from the synchronization context,
            // never re-entrantly from inside the balancer's own call: queue it the same way.
            syncContext.execute(() -> listener.onSubchannelState(
                    ConnectivityStateInfo.forNonError(ConnectivityState.READY)));
        }

        @Override
        public void shutdown() {
            // Nothing to release: there is no transport.
        }

        @Override
        public List<EquivalentAddressGroup> getAllAddresses() {
            return addresses;
        }

        @Override
        public Attributes getAttributes() {
            return attributes;
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return SilentLogger.INSTANCE;
        }

        @Override
        public String toString() {
            return "ReadySubchannel" + addresses;
        }
    }

    /** The arguments of a pick for a call that never happens. */
    private static final class FixedPickArgs extends LoadBalancer.PickSubchannelArgs {
        /** Pickers may look at the method, never at its payloads: these marshallers are unused. */
        private static final MethodDescriptor<Void, Void> METHOD = MethodDescriptor.<Void, Void>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("podlb.Benchmark", "Pick"))
                .setRequestMarshaller(UnusedMarshaller.INSTANCE)
                .setResponseMarshaller(UnusedMarshaller.INSTANCE)
                .build();

        private final Metadata headers = new Metadata();

        @Override
        public CallOptions getCallOptions() {
            return CallOptions.DEFAULT;
        }

        @Override
        public Metadata getHeaders() {
            return headers;
        }

        @Override
        public MethodDescriptor<?, ?> getMethodDescriptor() {
            return METHOD;
        }
    }

    private enum UnusedMarshaller implements MethodDescriptor.Marshaller<Void> {
        INSTANCE;

        @Override
        public InputStream stream(Void value) {
            throw new UnsupportedOperationException("no call is made");
        }

        @Override
        public Void parse(InputStream stream) {
            throw new UnsupportedOperationException("no call is made");
        }
    }

    /** gRPC's policies log their transitions; a benchmark has no use for them. */
    private static final class SilentLogger extends ChannelLogger {
        static final SilentLogger INSTANCE = new SilentLogger();

        @Override
        public void log(ChannelLogLevel level, String message) {}

        @Override
        public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
    }
}
