package dev.podlb.benchmarks;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A rolling restart of a 5,000-pod service, watched by one podlb client: how much CPU the client
 * spends, and how far its load balancer's set lags the API server's.
 *
 * <p>The API server (fabric8's mock, CRUD mode) and the rollout run in a child JVM, so that the
 * client's CPU time is the client's alone. The service has 50 EndpointSlices of 100 pods; every pod
 * is replaced once, as a Deployment's rollout does it: the new pod is added ready, the old one
 * becomes terminating, then it is removed — three slice writes per pod, 15,000 in all, as fast as
 * the server takes them. The child timestamps each write with {@code System.nanoTime()}, the same
 * monotonic clock in both JVMs on one Linux machine; the client timestamps each set its load
 * balancer applies and finds, per write, the first set that shows it. A write whose state the set
 * never showed because a later write to the same pod came within the same batch (terminating,
 * then gone) counts as arriving with that later state.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.LargeRollout [round-robin|sticky] [coalesce-ms] [slices, 50 of 100 pods]</pre>
 */
public final class LargeRollout {
    static final int PER_SLICE = 100;
    private static final String NAMESPACE = "default";
    private static final String SERVICE = "big";

    private LargeRollout() {}

    /** One client run's figures. */
    record Result(String picker, Duration coalesce, int writes, double rolloutSeconds, double clientCpuSeconds,
                  double podlbCpuSeconds, double medianLagMillis, double maxLagMillis, int unseen, int applies,
                  double medianHeldMillis, double maxHeldMillis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s, coalesce %d ms: %d writes in %.1f s; client CPU %.2f s (podlb threads"
                            + " %.2f s); lag median %.1f ms, max %.1f ms; %d writes never seen; %d sets applied, each held"
                            + " by the load balancer (from the first set it took after the last apply to the apply)"
                            + " median %.1f ms, max %.1f ms", picker, coalesce.toMillis(), writes, rolloutSeconds,
                    clientCpuSeconds, podlbCpuSeconds, medianLagMillis, maxLagMillis, unseen, applies,
                    medianHeldMillis, maxHeldMillis);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("server")) {
            serve(Integer.parseInt(args[1]));
            return;
        }
        String picker = args.length > 0 ? args[0] : "round-robin";
        Duration coalesce = Duration.ofMillis(args.length > 1 ? Long.parseLong(args[1]) : 50);
        System.out.println(run(picker, coalesce, args.length > 2 ? Integer.parseInt(args[2]) : 50));
        System.exit(0);
    }

    /** Runs the child API server with {@code slices} slices of 100 pods, and one client over it. */
    static Result run(String picker, Duration coalesce, int slices) throws Exception {
        String launcher = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(launcher, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                LargeRollout.class.getName(), "server", String.valueOf(slices)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader from = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter to = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8)) {
            String url = expect(from, "URL ").substring(4);
            expect(from, "READY");
            KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
                    .withTrustCerts(true).withNamespace(NAMESPACE).build()).build();
            SetHistory history = new SetHistory();
            PickerPolicy policy = picker.equals("sticky") ? Pickers.sticky() : Pickers.roundRobin();
            try (Discovery discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
                 LoadBalancer lb = LoadBalancer.builder(SERVICE).target("k8s:///" + SERVICE + "." + NAMESPACE + ":http")
                         .discovery(discovery).picker(policy).coalesceUpdates(coalesce).listener(history).build()) {
                lb.awaitReady(Duration.ofSeconds(30));
                waitFor(() -> lb.endpoints().readyCount() == slices * PER_SLICE, Duration.ofSeconds(30), "all pods ready");
                long cpuBefore = processCpuNanos();
                long comparingBefore = history.comparingCpuNanos();
                PodlbThreadsCpu podlbCpu = new PodlbThreadsCpu();
                long start = System.nanoTime();
                to.println("go");
                List<Write> writes = new ArrayList<>();
                for (String line = from.readLine(); !"DONE".equals(line); line = from.readLine()) {
                    if (line == null) {
                        throw new IllegalStateException("the API server process ended early");
                    }
                    writes.add(Write.parse(line));
                }
                waitFor(() -> rolledOver(lb.endpoints(), slices), Duration.ofSeconds(60), "the last write reaching the set");
                long end = System.nanoTime();
                // The benchmark's own comparison of sets is not the client's work.
                long cpu = processCpuNanos() - cpuBefore - (history.comparingCpuNanos() - comparingBefore);
                long podlb = podlbCpu.stop();
                history.drain();
                List<Double> lags = new ArrayList<>();
                int unseen = 0;
                for (Write write : writes) {
                    Long seen = history.firstShowing(write);
                    if (seen == null) {
                        unseen++;
                    } else {
                        lags.add(Math.max(0, seen - write.nanos) / 1e6);
                    }
                }
                to.println("quit");
                client.close();
                return new Result(picker, coalesce, writes.size(), (end - start) / 1e9, cpu / 1e9, podlb / 1e9,
                        Propagation.median(lags), lags.stream().mapToDouble(Double::doubleValue).max().orElse(0), unseen,
                        history.held.size(), Propagation.median(new ArrayList<>(history.held)),
                        history.held.stream().mapToDouble(Double::doubleValue).max().orElse(0));
            }
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Every old pod gone and every new one ready. */
    private static boolean rolledOver(EndpointSet set, int slices) {
        if (set.size() != slices * PER_SLICE || set.readyCount() != slices * PER_SLICE) {
            return false;
        }
        for (Endpoint e : set.endpoints()) {
            if (!e.address().getHostAddress().startsWith("10.2.")) {
                return false;
            }
        }
        return true;
    }

    /** The child: the API server, the service's slices, and on "go" the rollout, one line per write. */
    private static void serve(int slices) throws IOException {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        // The mock server logs every request at INFO through java.util.logging, on this process's stderr (discarded).
        KubernetesClient client = KubernetesApi.client();
        out.println("URL " + client.getMasterUrl());
        List<List<String[]>> content = new ArrayList<>();
        for (int s = 0; s < slices; s++) {
            List<String[]> endpoints = new ArrayList<>();
            for (int e = 1; e <= PER_SLICE; e++) {
                endpoints.add(new String[] {"10.1." + s + "." + e, "ready"});
            }
            content.add(endpoints);
            write(client, s, endpoints);
        }
        out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"go".equals(in.readLine())) {
            return;
        }
        for (int e = 1; e <= PER_SLICE; e++) {
            for (int s = 0; s < slices; s++) {
                List<String[]> endpoints = content.get(s);
                String old = "10.1." + s + "." + e;
                String fresh = "10.2." + s + "." + e;
                endpoints.add(new String[] {fresh, "ready"});
                write(client, s, endpoints);
                out.println("W ADDED " + fresh + " " + System.nanoTime());
                endpoints.replaceAll(pod -> pod[0].equals(old) ? new String[] {old, "terminating"} : pod);
                write(client, s, endpoints);
                out.println("W TERMINATING " + old + " " + System.nanoTime());
                endpoints.removeIf(pod -> pod[0].equals(old));
                write(client, s, endpoints);
                out.println("W REMOVED " + old + " " + System.nanoTime());
            }
        }
        out.println("DONE");
        in.readLine();
        System.exit(0);
    }

    private static void write(KubernetesClient client, int slice, List<String[]> endpoints) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder()
                .withNewMetadata().withName(SERVICE + "-" + slice).withNamespace(NAMESPACE)
                .addToLabels("kubernetes.io/service-name", SERVICE).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort();
        for (String[] pod : endpoints) {
            boolean ready = pod[1].equals("ready");
            builder.addNewEndpoint().withAddresses(pod[0]).withNewConditions().withReady(ready).withServing(true)
                    .withTerminating(!ready).endConditions().endEndpoint();
        }
        EndpointSlice built = builder.build();
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(built).createOr(existing -> existing.update());
    }

    /** A write the rollout made: what it did to which pod, and when. */
    record Write(String kind, String address, long nanos) {
        static Write parse(String line) {
            String[] parts = line.split(" ");
            return new Write(parts[1], parts[2], Long.parseLong(parts[3]));
        }
    }

    /**
     * Each change between consecutive applied sets, with the time it was applied; and for each
     * applied set, how long the load balancer held it: from the first set it took from discovery
     * after its last apply (the {@code resolved} event, which runs on its serial context) to this
     * apply. That is the batching window plus the rebuild; the rest of a write's lag is the
     * informer's and the queueing behind a rebuild.
     */
    private static final class SetHistory implements LoadBalancerListener {
        private record Change(String kind, long nanos) {}

        private record Applied(EndpointSet set, long nanos) {}

        private final ConcurrentLinkedQueue<Object[]> log = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Double> held = new ConcurrentLinkedQueue<>();
        /**
         * The sets applied, compared by a thread of the benchmark's own: what the load balancer's
         * thread does for this listener, and podlb's CPU counts, is a timestamp and a queue offer.
         */
        private final LinkedBlockingQueue<Applied> applied = new LinkedBlockingQueue<>();
        private final Thread comparer = new Thread(this::compareApplied, "rollout-set-history");
        /** What ended the comparing thread, other than the end of the sets; rethrown by {@link #drain}. */
        private volatile Throwable comparerFailure;
        /** On the comparing thread only. */
        private EndpointSet previous;
        private Map<String, List<Change>> byAddress;
        /** When the first set since the last apply was taken, or 0; the serial context only. */
        private long firstTakenNanos;
        /** Whether a set was applied before; the serial context only. */
        private boolean appliedAny;

        SetHistory() {
            comparer.setDaemon(true);
            comparer.start();
        }

        /** CPU time the comparing thread has used so far. */
        long comparingCpuNanos() {
            return Math.max(0, ManagementFactory.getThreadMXBean().getThreadCpuTime(comparer.getId()));
        }

        @Override
        public void resolved(String service, boolean changed) {
            if (changed && firstTakenNanos == 0) {
                firstTakenNanos = System.nanoTime();
            }
        }

        @Override
        public void endpointsChanged(String service, EndpointSet set) {
            long now = System.nanoTime();
            if (firstTakenNanos != 0 && appliedAny) {
                held.add((now - firstTakenNanos) / 1e6);
            }
            firstTakenNanos = 0;
            appliedAny = true;
            applied.add(new Applied(set, now));
        }

        private void compareApplied() {
            try {
                while (true) {
                    Applied next = applied.take();
                    if (next.set() == null) {
                        return;
                    }
                    compare(next.set(), next.nanos());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                comparerFailure = e;
            }
        }

        /** Waits until every set applied so far has been compared with the one before. */
        void drain() throws InterruptedException {
            applied.add(new Applied(null, 0));
            comparer.join();
            if (comparerFailure != null) {
                throw new IllegalStateException("comparing the applied sets failed", comparerFailure);
            }
        }

        private void compare(EndpointSet set, long now) {
            EndpointSet before = previous;
            previous = set;
            if (before == null) {
                return;
            }
            for (Endpoint e : set.endpoints()) {
                Endpoint was = before.find(e.socketAddress());
                if (was == null) {
                    log.add(new Object[] {"ADDED", e.address().getHostAddress(), now});
                } else if (was.readiness() != e.readiness() && e.readiness() == Readiness.TERMINATING) {
                    log.add(new Object[] {"TERMINATING", e.address().getHostAddress(), now});
                }
            }
            for (Endpoint e : before.endpoints()) {
                if (set.find(e.socketAddress()) == null) {
                    log.add(new Object[] {"REMOVED", e.address().getHostAddress(), now});
                }
            }
        }

        /** When the load balancer first applied a set showing {@code write}, or {@code null}. */
        Long firstShowing(Write write) {
            if (byAddress == null) {
                byAddress = new HashMap<>();
                for (Object[] entry : log) {
                    byAddress.computeIfAbsent((String) entry[1], k -> new ArrayList<>())
                            .add(new Change((String) entry[0], (Long) entry[2]));
                }
            }
            List<Change> changes = byAddress.getOrDefault(write.address(), List.of());
            for (Change change : changes) {
                if (change.kind().equals(write.kind())
                        || (write.kind().equals("TERMINATING") && change.kind().equals("REMOVED"))) {
                    return change.nanos();
                }
            }
            return null;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * CPU time of podlb's own threads (state updates, DNS, checks), beside the informer's and the
     * JVM's. podlb's threads end after a second idle and new ones start, so a look at the end
     * misses those that ended: every 10 ms this reads each podlb thread's CPU time by thread id,
     * and sums each thread's last reading less its reading at the start (0 for threads born
     * later). A thread's last 10 ms before it ends may be missed; it ends after a second idle.
     */
    private static final class PodlbThreadsCpu {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final Map<Long, Long> atStart = new HashMap<>();
        private final Map<Long, Long> last = new HashMap<>();
        private final Thread sampler;
        private volatile boolean stopped;

        PodlbThreadsCpu() {
            sample(atStart);
            sampler = new Thread(() -> {
                while (!stopped) {
                    synchronized (last) {
                        sample(last);
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rollout-cpu-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        private void sample(Map<Long, Long> into) {
            for (long id : threads.getAllThreadIds()) {
                java.lang.management.ThreadInfo info = threads.getThreadInfo(id);
                long cpu = threads.getThreadCpuTime(id);
                if (info != null && info.getThreadName().startsWith("podlb-") && cpu >= 0) {
                    into.put(id, cpu);
                }
            }
        }

        /** Stops sampling; the nanoseconds podlb's threads ran since this was made. */
        long stop() throws InterruptedException {
            stopped = true;
            sampler.join();
            synchronized (last) {
                sample(last);
                long total = 0;
                for (Map.Entry<Long, Long> e : last.entrySet()) {
                    total += e.getValue() - atStart.getOrDefault(e.getKey(), 0L);
                }
                return total;
            }
        }
    }

    private static String expect(BufferedReader from, String prefix) throws IOException {
        for (String line = from.readLine(); line != null; line = from.readLine()) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the API server process ended before printing " + prefix.strip());
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not happen within " + timeout);
            }
            Thread.sleep(5);
        }
    }
}
