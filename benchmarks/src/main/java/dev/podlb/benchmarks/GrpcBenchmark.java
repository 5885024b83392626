package dev.podlb.benchmarks;

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
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * podlb's gRPC channel ({@code lb-grpc}: {@code podlb+dns:///} and the {@code podlb} policy) beside
 * gRPC's own ({@code dns:///} and {@code round_robin}), in the same run, against the same real
 * gRPC servers on loopback: how long pods added to the DNS answer wait for their first call, and
 * what one slow pod does to the p99 of a service's calls.
 *
 * <p>gRPC's {@code dns:///} resolves through the JVM, so this must run with
 * {@code -Djdk.net.hosts.file=<file>}: the benchmark writes that file as it writes the test DNS
 * server's answer, and lowers the JVM's DNS cache to 1 s, the records' TTL.
 *
 * <pre>
 * java -Djdk.net.hosts.file=/tmp/podlb-grpc-hosts -cp benchmarks/target/benchmarks.jar \
 *     dev.podlb.benchmarks.GrpcBenchmark [--quick] [out.md]
 * </pre>
 */
public final class GrpcBenchmark {
    static final String COMMAND = "java -Djdk.net.hosts.file=/tmp/podlb-grpc-hosts -cp benchmarks/target/benchmarks.jar"
            + " dev.podlb.benchmarks.GrpcBenchmark";
    private static final String HOST = "backend.podlb.test";
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};
    private static final MethodDescriptor<String, String> WHICH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Pods", "Which"))
            .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8())
            .build();

    private final boolean quick;
    private final Path hosts;
    private final StringBuilder out = new StringBuilder();
    private final Map<String, Server> servers = new ConcurrentHashMap<>();
    private final Map<String, Long> delayMillis = new ConcurrentHashMap<>();
    private final int port;
    private TestDnsServer dns;
    private Discovery discovery;

    private GrpcBenchmark(boolean quick, Path hosts) {
        this.quick = quick;
        this.hosts = hosts;
        this.port = freePort();
    }

    public static void main(String[] args) throws Exception {
        String hostsFile = System.getProperty("jdk.net.hosts.file");
        if (hostsFile == null) {
            throw new IllegalStateException("gRPC's dns:/// resolves through the JVM: run with -Djdk.net.hosts.file=<file>,"
                    + " such as " + COMMAND);
        }
        // gRPC's resolver asks the JVM, whose cache would otherwise hold an answer for 30 s, and keeps an answer for
        // as long itself (it reads the same name as a system property): 1 s, as the records' TTL.
        java.security.Security.setProperty("networkaddress.cache.ttl", "1");
        System.setProperty("networkaddress.cache.ttl", "1");
        boolean quick = List.of(args).contains("--quick");
        GrpcBenchmark benchmark = new GrpcBenchmark(quick, Path.of(hostsFile));
        try {
            benchmark.run();
        } finally {
            benchmark.stop();
        }
        String markdown = benchmark.out.toString();
        String file = Arrays.stream(args).filter(a -> !a.startsWith("--")).findFirst().orElse(null);
        if (file != null) {
            Files.writeString(Path.of(file), markdown);
        }
        System.out.print(markdown);
        System.exit(0);
    }

    /** The section as {@code BenchmarkReport} includes it, measured in a child JVM started with the hosts file. */
    static String measureInChildJvm(boolean quick) throws IOException, InterruptedException {
        Path hostsFile = Files.createTempFile("podlb-grpc-hosts", "");
        Path markdown = Files.createTempFile("podlb-grpc", ".md");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Djdk.net.hosts.file=" + hostsFile, "-cp",
                System.getProperty("java.class.path"), GrpcBenchmark.class.getName(), markdown.toString()));
        if (quick) {
            command.add("--quick");
        }
        Process child = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (child.waitFor() != 0) {
            throw new IllegalStateException("GrpcBenchmark failed with exit code " + child.exitValue());
        }
        return Files.readString(markdown);
    }

    private void run() throws Exception {
        dns = new TestDnsServer();
        discovery = Discovery.builder().dns(DnsSettings.builder().server(dns.address()).searchDomains(List.of())
                .ndots(1).ipFamily(IpFamily.IPV4).build()).build();
        PodlbGrpc.register();
        for (String ip : PODS) {
            start(ip);
        }
        line("Measured by `" + COMMAND + "`" + (quick ? " --quick" : "") + " on " + LocalDate.now() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, JDK " + System.getProperty("java.version")
                + "; gRPC 1.85.1 (grpc-netty-shaded) servers and channels on loopback, in one JVM.");
        line("");
        scaleOut();
        slowPod();
    }

    /** Three pods in DNS, two more added: time until each channel's calls reach the added ones. */
    private void scaleOut() throws Exception {
        long capMillis = quick ? 5_000 : 10_000;
        answer(PODS[0], PODS[1], PODS[2]);
        ManagedChannel podlb = podlbChannel(PodlbPolicy.builder().build());
        ManagedChannel grpc = grpcChannel();
        try {
            for (int i = 0; i < 30; i++) {
                which(podlb);
                which(grpc);
            }
            answer(PODS);
            long changed = System.nanoTime();
            Waiter podlbWaiter = new Waiter(podlb, capMillis, changed);
            Waiter grpcWaiter = new Waiter(grpc, capMillis, changed);
            podlbWaiter.start();
            grpcWaiter.start();
            podlbWaiter.join();
            grpcWaiter.join();
            String grpcAfterRestart = "—";
            if (grpcWaiter.millis < 0) {
                // gRPC re-resolves when a connection fails: one old pod restarts, as in a rollout.
                stop(PODS[0]);
                start(PODS[0]);
                long restarted = System.nanoTime();
                Waiter afterRestart = new Waiter(grpc, capMillis, restarted);
                afterRestart.start();
                afterRestart.join();
                grpcAfterRestart = afterRestart.millis < 0 ? "not within " + capMillis + " ms"
                        : afterRestart.millis + " ms after the restart";
            }
            line("### Pods added to the DNS answer (TTL 1 s): time until they get calls");
            line("");
            line("Three pods answer, two more are added to the DNS answer (the test DNS server for podlb, the hosts file"
                    + " with a 1 s cache in the JVM and in gRPC's resolver), and one thread per channel calls until a call reaches an added"
                    + " pod. If gRPC's does not within " + capMillis + " ms, one of the old pods restarts (what a rollout"
                    + " or a `max-connection-age` does) and the wait is measured again from the restart.");
            line("");
            line("| channel | first call to an added pod | after an old pod restarts |");
            line("|---|---|---|");
            line("| podlb: `podlb+dns:///` + `podlb` | " + describe(podlbWaiter.millis, capMillis) + " | — |");
            line("| gRPC: `dns:///` + `round_robin` | " + describe(grpcWaiter.millis, capMillis) + " | "
                    + grpcAfterRestart + " |");
            line("");
        } finally {
            podlb.shutdownNow();
            grpc.shutdownNow();
        }
    }

    /** Five pods, one of them 20 ms slow: latency percentiles under 4 threads of calls. */
    private void slowPod() throws Exception {
        long seconds = quick ? 3 : 8;
        answer(PODS);
        delayMillis.put(PODS[1], 20L);
        line("### One slow pod: call latency");
        line("");
        line("Five pods; " + PODS[1] + " answers 20 ms late, the others at once. 4 threads call for " + seconds
                + " s per channel, after 200 warm-up calls. Ratio: p99 against gRPC's round_robin.");
        line("");
        line("| channel | calls | to the slow pod | p50 ms | p99 ms | p99 ratio |");
        line("|---|---|---|---|---|---|");
        double grpcP99 = -1;
        String[] names = {"gRPC: `dns:///` + `round_robin`", "podlb: round-robin", "podlb: least-request",
                "podlb: least-request, latencyAware"};
        for (int i = 0; i < names.length; i++) {
            ManagedChannel channel;
            switch (i) {
                case 0:
                    channel = grpcChannel();
                    break;
                case 1:
                    channel = podlbChannel(PodlbPolicy.builder().build());
                    break;
                case 2:
                    channel = podlbChannel(PodlbPolicy.builder().picker(Pickers.leastRequest()).build());
                    break;
                default:
                    channel = podlbChannel(PodlbPolicy.builder().picker(Pickers.leastRequest().latencyAware(true)).build());
            }
            try {
                for (int w = 0; w < 200; w++) {
                    which(channel);
                }
                Latencies result = measure(channel, seconds);
                if (i == 0) {
                    grpcP99 = result.percentile(99);
                }
                line(String.format(Locale.ROOT, "| %s | %,d | %.1f%% | %.2f | %.2f | %.2f× |", names[i], result.count,
                        100.0 * result.toSlow / result.count, result.percentile(50), result.percentile(99),
                        result.percentile(99) / grpcP99));
            } finally {
                channel.shutdownNow();
            }
        }
        line("");
        delayMillis.clear();
    }

    private Latencies measure(ManagedChannel channel, long seconds) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        List<long[]> perThread = new ArrayList<>();
        AtomicInteger toSlow = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        int[] counts = new int[4];
        for (int t = 0; t < 4; t++) {
            long[] samples = new long[2_000_000];
            perThread.add(samples);
            int index = t;
            Thread thread = new Thread(() -> {
                int n = 0;
                while (running.get() && n < samples.length) {
                    long start = System.nanoTime();
                    String pod = which(channel);
                    samples[n++] = System.nanoTime() - start;
                    if (pod.equals(PODS[1])) {
                        toSlow.incrementAndGet();
                    }
                }
                counts[index] = n;
            }, "grpc-bench-" + t);
            thread.start();
            threads.add(thread);
        }
        Thread.sleep(seconds * 1000);
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < 4; t++) {
            System.arraycopy(perThread.get(t), 0, all, at, counts[t]);
            at += counts[t];
        }
        Arrays.sort(all);
        return new Latencies(all, toSlow.get());
    }

    private static final class Latencies {
        final long[] sorted;
        final int count;
        final int toSlow;

        Latencies(long[] sorted, int toSlow) {
            this.sorted = sorted;
            this.count = sorted.length;
            this.toSlow = toSlow;
        }

        double percentile(int p) {
            return sorted[Math.min(count - 1, (int) Math.ceil(count * p / 100.0) - 1)] / 1e6;
        }
    }

    /** Calls until one reaches an added pod (the fourth or fifth), or the cap passes. */
    private final class Waiter extends Thread {
        private final ManagedChannel channel;
        private final long capMillis;
        private final long from;
        volatile long millis = -1;

        Waiter(ManagedChannel channel, long capMillis, long from) {
            this.channel = channel;
            this.capMillis = capMillis;
            this.from = from;
        }

        @Override
        public void run() {
            while (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from) < capMillis) {
                String pod = which(channel);
                if (pod.equals(PODS[3]) || pod.equals(PODS[4])) {
                    millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
                    return;
                }
            }
        }
    }

    private static String describe(long millis, long capMillis) {
        return millis < 0 ? "none within " + capMillis + " ms" : millis + " ms";
    }

    private ManagedChannel podlbChannel(PodlbPolicy policy) {
        return policy.applyTo(ManagedChannelBuilder.forTarget("podlb+dns:///" + HOST + ":" + port))
                .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery).usePlaintext().build();
    }

    private ManagedChannel grpcChannel() {
        return ManagedChannelBuilder.forTarget("dns:///" + HOST + ":" + port).defaultLoadBalancingPolicy("round_robin")
                .usePlaintext().build();
    }

    private static String which(ManagedChannel channel) {
        return ClientCalls.blockingUnaryCall(channel, WHICH, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                "which");
    }

    /** The same answer on both sides: the test DNS server for podlb, the hosts file for the JVM (gRPC). */
    private void answer(String... ips) throws IOException {
        dns.a(HOST, 1, ips);
        StringBuilder file = new StringBuilder();
        for (String ip : ips) {
            file.append(ip).append(' ').append(HOST).append('\n');
        }
        Path temp = Files.createTempFile(hosts.getParent(), "hosts", ".tmp");
        Files.writeString(temp, file);
        Files.move(temp, hosts, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void start(String ip) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("bench.Pods")
                .addMethod(WHICH, ServerCalls.asyncUnaryCall((request, response) -> {
                    Long delay = delayMillis.get(ip);
                    if (delay != null) {
                        try {
                            Thread.sleep(delay);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    response.onNext(ip);
                    response.onCompleted();
                }))
                .build();
        servers.put(ip, NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)).addService(service).build().start());
    }

    private void stop(String ip) throws InterruptedException {
        Server server = servers.remove(ip);
        server.shutdown();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private void stop() throws Exception {
        for (String ip : List.copyOf(servers.keySet())) {
            servers.remove(ip).shutdownNow();
        }
        if (discovery != null) {
            discovery.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private static int freePort() {
        for (int attempt = 0; attempt < 20; attempt++) {
            int candidate;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(PODS[0]))) {
                candidate = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            boolean free = true;
            for (String ip : PODS) {
                try (ServerSocket socket = new ServerSocket(candidate, 1, InetAddress.getByName(ip))) {
                    socket.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return candidate;
            }
        }
        throw new IllegalStateException("no port free on every pod address");
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
