package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The policy's handling of resolutions, with a channel stand-in whose subchannels never connect. */
class PolicyUpdateTest {
    private final SynchronizationContext syncContext = new SynchronizationContext((t, e) -> {
        throw new AssertionError(e);
    });

    @Test
    void theSameSettingsParsedAgainKeepTheLoadBalancerAndItsHealth() {
        PodlbLoadBalancerProvider provider = new PodlbLoadBalancerProvider();
        Map<String, ?> json = ServiceConfigTest.json("{\"picker\": \"least-request\", \"latencyAware\": true}");
        PodlbPolicy first = (PodlbPolicy) provider.parseLoadBalancingPolicyConfig(json).getConfig();
        PodlbPolicy again = (PodlbPolicy) provider.parseLoadBalancingPolicyConfig(json).getConfig();
        PodlbPolicy other = (PodlbPolicy) provider.parseLoadBalancingPolicyConfig(
                ServiceConfigTest.json("{\"picker\": \"round-robin\"}")).getConfig();
        LoadBalancer balancer = provider.newLoadBalancer(new StandInHelper());

        syncContext.execute(() -> balancer.acceptResolvedAddresses(resolved(first)));
        syncContext.execute(() -> balancer.acceptResolvedAddresses(resolved(again)));

        assertThat(first.loadBalancers()).hasSize(1);
        assertThat(again.loadBalancers()).isEmpty();

        syncContext.execute(() -> balancer.acceptResolvedAddresses(resolved(other)));

        assertThat(first.loadBalancers()).isEmpty();
        assertThat(other.loadBalancers()).hasSize(1);
        syncContext.execute(balancer::shutdown);
        assertThat(other.loadBalancers()).isEmpty();
    }

    private static LoadBalancer.ResolvedAddresses resolved(PodlbPolicy policy) {
        return LoadBalancer.ResolvedAddresses.newBuilder()
                .setAddresses(List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.2", 9)),
                        new EquivalentAddressGroup(new InetSocketAddress("127.0.0.3", 9))))
                .setAttributes(Attributes.EMPTY).setLoadBalancingPolicyConfig(policy).build();
    }

    private final class StandInHelper extends LoadBalancer.Helper {
        @Override
        public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
            return new LoadBalancer.Subchannel() {
                @Override
                public void start(LoadBalancer.SubchannelStateListener listener) {}

                @Override
                public void shutdown() {}

                @Override
                public void requestConnection() {}

                @Override
                public List<EquivalentAddressGroup> getAllAddresses() {
                    return args.getAddresses();
                }

                @Override
                public Attributes getAttributes() {
                    return args.getAttributes();
                }
            };
        }

        @Override
        public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker picker) {}

        @Override
        public SynchronizationContext getSynchronizationContext() {
            return syncContext;
        }

        @Override
        public String getAuthority() {
            return "backend";
        }

        @Override
        public String getChannelTarget() {
            return "podlb+static:///127.0.0.2:9,127.0.0.3:9";
        }

        @Override
        public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
            throw new UnsupportedOperationException();
        }
    }
}
