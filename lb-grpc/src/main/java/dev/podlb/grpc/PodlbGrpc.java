package dev.podlb.grpc;

import dev.podlb.core.Endpoint;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Target;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptor;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.util.List;

/**
 * podlb for gRPC-java channels: name resolvers for podlb's targets and the {@value #POLICY_NAME}
 * load-balancing policy, whose per-call picks are podlb's.
 *
 * <pre>{@code
 * ManagedChannel channel = PodlbGrpc.forTarget("k8s:///backend.default:grpc")   // resolver + policy
 *         .usePlaintext()
 *         .build();
 * }</pre>
 *
 * <p>The resolvers ({@code k8s:///}, {@code podlb+dns:///}, {@code podlb+static:///}) and the policy
 * are registered through {@code META-INF/services}, as gRPC finds its own. Where service files are
 * lost (a shaded jar that does not merge them, a class loader gRPC does not search), call
 * {@link #register()} once before building channels. gRPC's own {@code dns:///} is never replaced.
 *
 * <p>A channel needs the policy chosen: {@link #forTarget} chooses it; with
 * {@code ManagedChannelBuilder} directly, call {@code defaultLoadBalancingPolicy("podlb")} or give a
 * service config with {@code "loadBalancingConfig": [{"podlb": {...}}]}. The resolvers do not
 * choose it through a service config of their own, because a resolver's service config replaces
 * the channel's default one as a whole (its retry policy included).
 */
public final class PodlbGrpc {
    /** The policy's name in service configs and {@code defaultLoadBalancingPolicy}. */
    public static final String POLICY_NAME = "podlb";

    /**
     * The {@link Discovery} a channel's podlb resolver opens its target with, given through
     * {@code ManagedChannelBuilder.setNameResolverArg(PodlbGrpc.DISCOVERY, discovery)}; without it,
     * {@link Discovery#defaults()}.
     */
    public static final NameResolver.Args.Key<Discovery> DISCOVERY = NameResolver.Args.Key.create("podlb.discovery");

    /**
     * The sticky key of one call: {@code stub.withOption(PodlbGrpc.STICKY_KEY, userId)}. Calls with
     * the same key reach the same pod under a sticky picker. It wins over a key read from metadata.
     */
    public static final CallOptions.Key<String> STICKY_KEY = CallOptions.Key.create("podlb.stickyKey");

    /**
     * The pod one call must reach, by pod name (or {@code ip:port} of a discovered pod):
     * {@code stub.withOption(PodlbGrpc.PIN, "backend-7d4f9-x2x")}. A pod discovery did not return is
     * never contacted; what the call gets when the pod is unavailable is the policy's
     * {@code whenPinUnavailable}.
     */
    public static final CallOptions.Key<String> PIN = CallOptions.Key.create("podlb.pin");

    /** What discovery knows of the pod behind an address group's one address: name, zone, readiness, weight. */
    static final Attributes.Key<Endpoint> ENDPOINT = Attributes.Key.create("podlb.endpoint");

    /** The Service's {@code trafficDistribution}, on a resolution result from a podlb resolver. */
    static final Attributes.Key<String> TRAFFIC_DISTRIBUTION = Attributes.Key.create("podlb.trafficDistribution");

    private static final ClientInterceptor RETRIES_TO_OTHER_PODS = new TriedPods.Interceptor();

    private PodlbGrpc() {}

    /**
     * Registers podlb's resolvers and policy with gRPC's default registries, unless they are there
     * already (found through the service files). Safe to call more than once, from any thread.
     */
    public static synchronized void register() {
        NameResolverRegistry resolvers = NameResolverRegistry.getDefaultRegistry();
        for (NameResolverProvider provider : List.of(new KubernetesNameResolverProvider(),
                new DnsNameResolverProvider(), new StaticNameResolverProvider())) {
            if (!(resolvers.getProviderForScheme(provider.getScheme()) instanceof PodlbNameResolverProvider)) {
                resolvers.register(provider);
            }
        }
        LoadBalancerRegistry policies = LoadBalancerRegistry.getDefaultRegistry();
        LoadBalancerProvider registered = policies.getProvider(POLICY_NAME);
        if (!(registered instanceof PodlbLoadBalancerProvider)) {
            policies.register(new PodlbLoadBalancerProvider());
        }
    }

    /**
     * The gRPC target of a podlb target, as a {@code LoadBalancer}, the OkHttp interceptor or the
     * Spring starter's {@code podlb.services.<name>.target} write it: {@code dns:///...} becomes
     * {@code podlb+dns:///...} and {@code static:///...} becomes {@code podlb+static:///...}, so that
     * podlb resolves them rather than gRPC's own resolver; {@code k8s:///...} stays as it is.
     *
     * @throws IllegalArgumentException when {@code podlbTarget} is not a podlb target of these schemes
     */
    public static String grpcTarget(String podlbTarget) {
        Target target = Discovery.check(podlbTarget);
        switch (target.scheme()) {
            case "dns":
            case "static":
                return "podlb+" + target.scheme() + ":///" + target.path();
            case "k8s":
                return "k8s:///" + target.path();
            default:
                throw new IllegalArgumentException("target \"" + podlbTarget + "\" has scheme " + target.scheme()
                        + ", which lb-grpc does not resolve; expected dns:///, static:/// or k8s:///");
        }
    }

    /**
     * Lets the {@value #POLICY_NAME} policy send each retry of a call (gRPC's retry policy, hedging,
     * a transparent retry) to a pod the call has not tried, while one is connected: without it a
     * retry is picked afresh, which for a sticky key (or a least-request pick that still prefers
     * the failing pod) is the same pod. Add it to a channel with {@code .intercept(...)};
     * {@link #forTarget} and {@link PodlbPolicy#applyTo} add it themselves.
     */
    public static ClientInterceptor retriesToOtherPods() {
        return RETRIES_TO_OTHER_PODS;
    }

    /**
     * A channel builder for {@code target} with podlb's resolvers and policy registered and the
     * policy chosen, and {@link #retriesToOtherPods()} added: {@code k8s:///backend.default:grpc}, {@code podlb+dns:///backend.default.svc.cluster.local:9090},
     * {@code podlb+static:///10.0.0.1:9090,10.0.0.2:9090}, or any target gRPC resolves (its own
     * {@code dns:///} included: the policy then balances the addresses gRPC's resolver finds).
     */
    public static ManagedChannelBuilder<?> forTarget(String target) {
        register();
        return ManagedChannelBuilder.forTarget(target).defaultLoadBalancingPolicy(POLICY_NAME)
                .intercept(RETRIES_TO_OTHER_PODS);
    }
}
