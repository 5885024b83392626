package dev.podlb.grpc;

import static org.awaitility.Awaitility.await;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real gRPC servers (Netty) on loopback addresses sharing one port, each a pod of one service
 * defined here without protoc: {@code test.Pods/Which} answers the pod's address. A pod can answer
 * with a status instead, answer late, and be stopped (gracefully: open calls finish) and started
 * again on its address. Each pod counts the calls it answered and failed.
 */
final class GrpcPods implements AutoCloseable {
    static final MethodDescriptor<String, String> WHICH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Pods", "Which"))
            .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8())
            .build();

    private final Map<String, Server> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> answered = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();
    private final Map<String, Status> failWith = new ConcurrentHashMap<>();
    private final Map<String, Long> delayMillis = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final int port;
    private final Duration maxConnectionAge;

    GrpcPods(String... ips) {
        this(null, ips);
    }

    /**
     * Pods that close each connection after {@code maxConnectionAge} (a GOAWAY; open calls finish),
     * as servers do to spread long-lived clients over new pods; {@code null}: never.
     */
    GrpcPods(Duration maxConnectionAge, String... ips) {
        this.maxConnectionAge = maxConnectionAge;
        port = freePort(ips);
        for (String ip : ips) {
            start(ip);
        }
    }

    /** The one port every pod listens on. */
    int port() {
        return port;
    }

    /** {@code podlb+static:///ip:port,...} of these pods. */
    String staticTarget(String... ips) {
        StringBuilder target = new StringBuilder("podlb+static:///");
        for (int i = 0; i < ips.length; i++) {
            target.append(i == 0 ? "" : ",").append(ips[i]).append(':').append(port);
        }
        return target.toString();
    }

    void start(String ip) {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Pods")
                .addMethod(WHICH, ServerCalls.asyncUnaryCall((request, response) -> {
                    Long delay = delayMillis.get(ip);
                    if (delay != null) {
                        sleep(delay);
                    }
                    Status status = failWith.get(ip);
                    if (status != null) {
                        failed.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
                        response.onError(status.asRuntimeException());
                        return;
                    }
                    answered.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
                    response.onNext(ip);
                    response.onCompleted();
                }))
                .build();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)).addService(service)
                .addTransportFilter(new ServerTransportFilter() {
                    @Override
                    public Attributes transportReady(Attributes transport) {
                        connections.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
                        return transport;
                    }
                });
        Duration age = maxConnectionAge;
        if (age != null) {
            builder.maxConnectionAge(age.toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace(5, TimeUnit.SECONDS);
        }
        try {
            running.put(ip, builder.build().start());
        } catch (IOException e) {
            throw new UncheckedIOException("pod " + ip + " could not start on port " + port, e);
        }
    }

    /** Stops the pod as Kubernetes does: GOAWAY, open calls finish, then the port closes. */
    void stop(String ip) throws InterruptedException {
        Server server = running.remove(ip);
        if (server != null) {
            server.shutdown();
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        }
    }

    /** The pod answers every call with {@code status}; {@code null} makes it answer normally again. */
    void failWith(String ip, Status status) {
        if (status == null) {
            failWith.remove(ip);
        } else {
            failWith.put(ip, status);
        }
    }

    /** The pod answers each call {@code millis} late. */
    void delay(String ip, long millis) {
        delayMillis.put(ip, millis);
    }

    int answered(String ip) {
        AtomicInteger n = answered.get(ip);
        return n == null ? 0 : n.get();
    }

    /** Connections the pod accepted, across restarts. */
    int connections(String ip) {
        AtomicInteger n = connections.get(ip);
        return n == null ? 0 : n.get();
    }

    int failed(String ip) {
        AtomicInteger n = failed.get(ip);
        return n == null ? 0 : n.get();
    }

    /** One call of {@code test.Pods/Which}: the address of the pod that answered. */
    static String which(Channel channel, CallOptions options) {
        return ClientCalls.blockingUnaryCall(channel, WHICH, options, "which");
    }

    static String which(Channel channel) {
        return which(channel, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    }

    /**
     * Calls through {@code channel} until {@code pods} distinct pods have answered: every subchannel
     * has been READY, and stays so while no pod stops.
     */
    static void awaitEveryPodAnswers(Channel channel, int pods) {
        Set<String> seen = new HashSet<>();
        await("each of " + pods + " pods answering a call").atMost(Duration.ofSeconds(10)).until(() -> {
            seen.add(which(channel));
            return seen.size() == pods;
        });
    }

    @Override
    public void close() throws InterruptedException {
        for (String ip : running.keySet()) {
            Server server = running.remove(ip);
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static int freePort(String[] ips) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int candidate;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(ips[0]))) {
                candidate = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (freeOnAll(ips, candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no port free on every one of " + String.join(", ", ips));
    }

    private static boolean freeOnAll(String[] ips, int port) {
        for (String ip : ips) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(ip))) {
                socket.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** UTF-8 text as a message: the service needs no protobuf. */
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
