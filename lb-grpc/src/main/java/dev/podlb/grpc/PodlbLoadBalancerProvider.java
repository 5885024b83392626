package dev.podlb.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.util.Map;

/**
 * The {@value PodlbGrpc#POLICY_NAME} load-balancing policy: a subchannel per pod, each call
 * picked by podlb. Found by gRPC through {@code META-INF/services}; {@link PodlbGrpc#register()}
 * registers it where service files are lost. A {@link PodlbPolicy} built in Java registers one of
 * these under a name of its own.
 */
public final class PodlbLoadBalancerProvider extends LoadBalancerProvider {
    private final String name;
    /** The policy of a Java-built registration; {@code null} for the one read from service configs. */
    private final PodlbPolicy javaPolicy;

    /** The {@value PodlbGrpc#POLICY_NAME} policy, configured by service configs. */
    public PodlbLoadBalancerProvider() {
        this(PodlbGrpc.POLICY_NAME, null);
    }

    PodlbLoadBalancerProvider(String name, PodlbPolicy javaPolicy) {
        this.name = name;
        this.javaPolicy = javaPolicy;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public int getPriority() {
        return 5;
    }

    @Override
    public String getPolicyName() {
        return name;
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
        return new PodlbLoadBalancer(helper, javaPolicy != null ? javaPolicy : PodlbPolicy.defaults());
    }

    /**
     * Reads {@code {"podlb": {...}}}; a policy built in Java takes no JSON settings (an empty object only).
     * Bad settings give an error naming the key and what is expected; gRPC then keeps the channel's
     * previous service config, or fails the channel's calls with it when there is none.
     */
    @Override
    public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
        if (javaPolicy != null) {
            if (rawConfig != null && !rawConfig.isEmpty()) {
                return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription("loadBalancingConfig "
                        + name + " is " + rawConfig + "; expected {}: this policy was configured in Java (" + javaPolicy + ")"));
            }
            return NameResolver.ConfigOrError.fromConfig(javaPolicy);
        }
        try {
            return NameResolver.ConfigOrError.fromConfig(rawConfig == null || rawConfig.isEmpty()
                    ? PodlbPolicy.defaults() : PolicyJson.parse(rawConfig));
        } catch (IllegalArgumentException e) {
            return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withCause(e).withDescription(
                    "loadBalancingConfig " + name + ": " + e.getMessage()));
        }
    }
}
