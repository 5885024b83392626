package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.PublishingResolver;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The picker's way from podlb's pick to the pod's subchannel, with stand-in subchannels. */
class PodPickerTest {
    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.2", 9);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.3", 9);

    /**
     * The picker finds a picked pod's subchannel by the endpoint podlb's set held when the picker
     * was built; a set published since holds new endpoints for the same pods (a zone changed), and
     * their picks still reach the pods' subchannels.
     */
    @Test
    @Timeout(30)
    void podsWhoseEndpointsChangedSinceThePickerWasBuiltStillGetTheirCalls() {
        Publisher resolver = new Publisher();
        resolver.set(EndpointSet.of(1, List.of(Endpoint.builder("127.0.0.2", 9).zone("a").build(),
                Endpoint.builder("127.0.0.3", 9).zone("a").build())));
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).build()) {
            lb.awaitReady(Duration.ofSeconds(10));
            Subchannel toA = new StandIn(A);
            Subchannel toB = new StandIn(B);
            PodPicker picker = new PodPicker(lb, PodlbPolicy.builder().build(),
                    Map.of(A, new PodPicker.Connected(toA, null), B, new PodPicker.Connected(toB, null)),
                    Set.of(), Set.of());
            Set<Subchannel> reachedBefore = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                reachedBefore.add(picker.pickSubchannel(new Args()).getSubchannel());
            }
            assertThat(reachedBefore).as("picks of the set the picker was built with").containsExactlyInAnyOrder(toA, toB);
            EndpointSet changed = EndpointSet.of(2, List.of(Endpoint.builder("127.0.0.2", 9).zone("b").build(),
                    Endpoint.builder("127.0.0.3", 9).zone("b").build()));
            resolver.set(changed);
            await().atMost(Duration.ofSeconds(10)).until(() -> lb.endpoints().version() == 2);

            Set<Subchannel> reached = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                reached.add(picker.pickSubchannel(new Args()).getSubchannel());
            }

            assertThat(lb.endpoints().find(A)).as("the pod's endpoint now").isNotSameAs(resolver.first.find(A));
            assertThat(reached).as("picks of the set published since").containsExactlyInAnyOrder(toA, toB);
        }
    }

    private static final class Publisher extends PublishingResolver {
        EndpointSet first;

        void set(EndpointSet set) {
            if (first == null) {
                first = set;
            }
            publish(set);
        }

        @Override
        public String describe() {
            return "test:///backend";
        }

        @Override
        public void close() {}
    }

    private static final class StandIn extends Subchannel {
        private final InetSocketAddress address;

        StandIn(InetSocketAddress address) {
            this.address = address;
        }

        @Override
        public void shutdown() {}

        @Override
        public void requestConnection() {}

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }

        @Override
        public String toString() {
            return "subchannel to " + address;
        }
    }

    private static final class Args extends PickSubchannelArgs {
        private static final MethodDescriptor<Void, Void> METHOD = MethodDescriptor.<Void, Void>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test/Call")
                .setRequestMarshaller(new Unused()).setResponseMarshaller(new Unused()).build();

        @Override
        public CallOptions getCallOptions() {
            return CallOptions.DEFAULT;
        }

        @Override
        public Metadata getHeaders() {
            return new Metadata();
        }

        @Override
        public MethodDescriptor<?, ?> getMethodDescriptor() {
            return METHOD;
        }
    }

    private static final class Unused implements MethodDescriptor.Marshaller<Void> {
        @Override
        public InputStream stream(Void value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Void parse(InputStream stream) {
            throw new UnsupportedOperationException();
        }
    }
}
