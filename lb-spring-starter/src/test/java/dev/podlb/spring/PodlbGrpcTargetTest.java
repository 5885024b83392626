package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.grpc.PodlbGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A service of the starter, {@code podlb.services.<name>.target}, as the target of a gRPC channel balanced by podlb. */
class PodlbGrpcTargetTest {
    private static final MethodDescriptor<String, String> WHICH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Pods", "Which"))
            .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8())
            .build();

    @Test
    @Timeout(30)
    void aServicesTargetAndTheDiscoveryBeanGiveAChannelBalancedPerCall() throws Exception {
        Server first = pod("127.0.0.2", 0);
        Server second = pod("127.0.0.3", first.getPort());
        try {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(PodlbKubernetesAutoConfiguration.class, PodlbAutoConfiguration.class))
                    .withPropertyValues("podlb.services.backend.target=static:///127.0.0.2:" + first.getPort()
                            + ",127.0.0.3:" + first.getPort(), "podlb.services.backend.host=backend.default.svc.cluster.local")
                    .run(context -> {
                        PodlbServices services = context.getBean(PodlbServices.class);
                        ManagedChannel channel = PodlbGrpc.forTarget(PodlbGrpc.grpcTarget(services.target("backend")))
                                .setNameResolverArg(PodlbGrpc.DISCOVERY, context.getBean(Discovery.class))
                                .usePlaintext().build();
                        try {
                            Map<String, Integer> answers = new HashMap<>();
                            for (int i = 0; i < 20; i++) {
                                answers.merge(ClientCalls.blockingUnaryCall(channel, WHICH,
                                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "which"), 1, Integer::sum);
                            }
                            assertThat(answers).containsOnlyKeys("127.0.0.2", "127.0.0.3");
                        } finally {
                            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                        }
                    });
        } finally {
            for (Server server : List.of(first, second)) {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Server pod(String ip, int port) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Pods")
                .addMethod(WHICH, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(ip);
                    response.onCompleted();
                }))
                .build();
        return NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)).addService(service).build().start();
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
