package dev.podlb.examples;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.DnsSettings;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.core.pick.Pickers;
import dev.podlb.grpc.PodlbGrpc;
import dev.podlb.grpc.PodlbPolicy;
import dev.podlb.testing.TestDnsServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel balanced per call by podlb, on loopback: three gRPC servers (pods) on
 * 127.0.0.2–4 answering with their address, a DNS server on 127.0.0.1 naming them with a TTL of
 * 1 s, and a channel to {@code podlb+dns:///backend.default.svc.cluster.local:<port>}. It shows the
 * spread of 30 calls over the pods of one channel, a sticky call, and a fourth pod added to DNS
 * getting calls within the TTL, in a few seconds.
 *
 * <pre>
 * mvn -q -Pdemo -pl examples -am package exec:java -Ddemo.mainClass=dev.podlb.examples.GrpcDemo
 * </pre>
 */
public final class GrpcDemo {
    static final String HOST = "backend.default.svc.cluster.local";
    private static final MethodDescriptor<String, String> WHICH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("demo.Pods", "Which"))
            .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8())
            .build();

    private GrpcDemo() {}

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /** Runs the demo, printing what it shows to {@code out}. */
    static void run(PrintStream out) throws Exception {
        List<Server> pods = new ArrayList<>();
        try (TestDnsServer dns = new TestDnsServer()) {
            pods.add(pod("127.0.0.2", 0));
            int port = pods.get(0).getPort();
            pods.add(pod("127.0.0.3", port));
            pods.add(pod("127.0.0.4", port));
            dns.a(HOST, 1, "127.0.0.2", "127.0.0.3", "127.0.0.4");
            out.printf("gRPC pods on 127.0.0.2-4, port %d; DNS on %s%n", port, dns.address());

            Discovery discovery = Discovery.builder().dns(DnsSettings.builder().server(dns.address())
                    .searchDomains(List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build();
            PodlbPolicy policy = PodlbPolicy.builder().picker(Pickers.sticky()).build();
            ManagedChannel channel = policy.applyTo(ManagedChannelBuilder.forTarget("podlb+dns:///" + HOST + ":" + port))
                    .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery)
                    .usePlaintext()
                    .build();
            try {
                out.println("30 calls on one channel: " + spread(channel, 30, CallOptions.DEFAULT));
                CallOptions sticky = CallOptions.DEFAULT.withOption(PodlbGrpc.STICKY_KEY, "user-42");
                out.println("10 calls with sticky key user-42: " + spread(channel, 10, sticky));

                pods.add(pod("127.0.0.5", port));
                dns.a(HOST, 1, "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
                long added = System.nanoTime();
                while (!call(channel, CallOptions.DEFAULT).equals("127.0.0.5")) {
                    if (System.nanoTime() - added > Duration.ofSeconds(10).toNanos()) {
                        throw new IllegalStateException("the added pod got no call within 10 s");
                    }
                }
                out.printf("a pod added to DNS (TTL 1 s) got its first call after %d ms%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - added));
                out.println("30 calls on the same channel: " + spread(channel, 30, CallOptions.DEFAULT));
                out.println(policy.loadBalancers().get(0).status());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                discovery.close();
            }
        } finally {
            for (Server pod : pods) {
                pod.shutdownNow();
            }
        }
    }

    private static Map<String, Integer> spread(ManagedChannel channel, int calls, CallOptions options) {
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < calls; i++) {
            answers.merge(call(channel, options), 1, Integer::sum);
        }
        return answers;
    }

    private static String call(ManagedChannel channel, CallOptions options) {
        return ClientCalls.blockingUnaryCall(channel, WHICH, options.withDeadlineAfter(10, TimeUnit.SECONDS), "which?");
    }

    /** A gRPC server on {@code ip} whose one method answers with {@code ip}. */
    private static Server pod(String ip, int port) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("demo.Pods")
                .addMethod(WHICH, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(ip);
                    response.onCompleted();
                }))
                .build();
        return NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)).addService(service).build().start();
    }

    /** Text messages: the demo's service needs no protobuf. */
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
