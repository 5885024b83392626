package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.GrpcPeers;
import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.pick.AffinityMemory;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every table of {@code BENCHMARKS.md} — pick cost beside the peers, sticky quality, update
 * cost and memory, end to end, propagation — and writes the file.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests &amp;&amp; java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.BenchmarkReport
 * </pre>
 * {@code --quick} shortens every JMH run (for trying the harness, not for quoting).
 */
public final class BenchmarkReport {
    private static final String COMMAND = "mvn -q -pl benchmarks -am package -DskipTests && "
            + "java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.BenchmarkReport";
    private static final int[] SIZES = {10, 100, 1000};

    private final boolean quick;
    private final StringBuilder out = new StringBuilder();
    /** Rows where a peer did better than podlb, said again at the end. */
    private final List<String> losses = new ArrayList<>();

    private BenchmarkReport(boolean quick) {
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        Path file = Path.of(List.of(args).stream().filter(a -> !a.startsWith("--")).findFirst().orElse("BENCHMARKS.md"));
        BenchmarkReport report = new BenchmarkReport(quick);
        report.header();
        report.pickCost();
        report.loadAwarePickCost();
        report.zonePickCost();
        report.stickyQuality();
        report.updateCost();
        report.slotTable();
        report.reportPath();
        report.endToEnd();
        report.attempts();
        report.propagation();
        report.rollout();
        report.fleet();
        report.grpc();
        report.losses();
        Files.writeString(file, report.out.toString());
        System.out.println("wrote " + file.toAbsolutePath());
        // The propagation table's mock API server (KubernetesApi) is never stopped: its threads would keep the JVM alive.
        System.exit(0);
    }

    private void header() {
        Runtime rt = Runtime.getRuntime();
        line("# podlb benchmarks");
        line("");
        line("Written by `" + COMMAND + "`" + (quick ? " --quick (short runs: for trying the harness, not for quoting)" : "")
                + " on " + LocalDate.now() + ".");
        line("");
        line("Machine: " + rt.availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + (rt.maxMemory() >> 20) + " MiB max heap. JDK: "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ".");
        line("");
        line("Every figure is measured in this run; compare within a table, as ratios against its baseline. Where"
                + " podlb loses a row, the row stays.");
        line("");
    }

    private ChainedOptionsBuilder jmh(String include) {
        ChainedOptionsBuilder options = new OptionsBuilder().include(include).forks(1).shouldFailOnError(true);
        if (quick) {
            options.warmupIterations(1).warmupTime(TimeValue.milliseconds(300))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(300));
        } else {
            options.warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        }
        return options;
    }

    /** The bold "1 thread" / "2 threads" line that opens each thread count's table. */
    private void threadsHeading(int threads) {
        line("");
        line("**" + threads + " thread" + (threads == 1 ? "" : "s") + "**");
        line("");
    }

    private void pickCost() throws RunnerException {
        line("## 1. Pick cost");
        line("");
        line("ns per pick (lower is better) and the ratio to the `AtomicInteger`-modulo baseline of the same run."
                + " Sticky pickers cycle through 1,024 session keys. `PeerPickBenchmark`; each library through its public API."
                + " gRPC's ring_hash is not in this table: " + GrpcPeers.RING_HASH_UNAVAILABLE);
        for (int threads : new int[] {1, 2}) {
            Collection<RunResult> results = new Runner(jmh(PeerPickBenchmark.class.getName()).threads(threads).build()).run();
            Map<String, Map<Integer, Double>> scores = new LinkedHashMap<>();
            for (RunResult r : results) {
                scores.computeIfAbsent(r.getParams().getParam("picker"), k -> new LinkedHashMap<>())
                        .put(Integer.parseInt(r.getParams().getParam("endpoints")), r.getPrimaryResult().getScore());
            }
            threadsHeading(threads);
            line("| picker | 10 endpoints | 100 | 1000 |");
            line("|---|---|---|---|");
            Map<Integer, Double> baseline = scores.get("baselineAtomicCounter");
            for (int size : SIZES) {
                for (String kind : new String[] {"RoundRobin", "Sticky"}) {
                    Double podlb = scores.getOrDefault("podlb" + kind, Map.of()).get(size);
                    scores.forEach((picker, bySize) -> {
                        Double peer = bySize.get(size);
                        if (podlb != null && peer != null && picker.endsWith(kind) && !picker.startsWith("podlb") && peer < podlb) {
                            losses.add(String.format(Locale.ROOT, "pick cost, %d thread(s), %d endpoints: %s %.1f ns against"
                                    + " podlb %.1f ns", threads, size, picker, peer, podlb));
                        }
                    });
                }
            }
            scores.forEach((picker, bySize) -> {
                StringBuilder row = new StringBuilder("| " + picker + " |");
                for (int size : SIZES) {
                    Double score = bySize.get(size);
                    row.append(score == null ? " — |" : String.format(Locale.ROOT, " %.1f (%.2f×) |", score, score / baseline.get(size)));
                }
                line(row.toString());
            });
        }
        line("");
    }

    private void stickyQuality() {
        line("## 2. Sticky quality");
        line("");
        line("1,000,000 keys. Balance: the most keys on one endpoint over the mean (1.00 is perfect). Moved: the share of"
                + " keys that change endpoint when the endpoint in the middle of the list is removed (ideal 1/N), and when"
                + " one is added (ideal 1/(N+1)); \"wrongly moved\" counts keys that left an endpoint that stayed, or moved"
                + " between old endpoints.");
        line("");
        line("Armeria's sticky strategy is its default (`EndpointSelectionStrategy.sticky`); gRPC's ring_hash is not"
                + " measured: " + GrpcPeers.RING_HASH_UNAVAILABLE);
        line("");
        line("| library | endpoints | balance | moved on remove (ideal) | wrongly moved | moved on add (ideal) | wrongly moved |");
        line("|---|---|---|---|---|---|---|");
        for (int size : SIZES) {
            Map<String, StickyQuality.Result> results = new LinkedHashMap<>();
            for (String library : new String[] {"podlb", "armeria"}) {
                StickyQuality.Result r = StickyQuality.measure(library, size, 1_000_000);
                results.put(library, r);
                line(String.format(Locale.ROOT, "| %s | %d | %.3f | %.4f (%.4f) | %d | %.4f (%.4f) | %d |", library, size,
                        r.maxOverMean(), r.movedOnRemove(), 1.0 / size, r.movedFromStayingPods(), r.movedOnAdd(),
                        1.0 / (size + 1), r.movedToOldPods()));
            }
            StickyQuality.Result podlb = results.get("podlb");
            StickyQuality.Result armeria = results.get("armeria");
            if (armeria.maxOverMean() < podlb.maxOverMean()) {
                losses.add(String.format(Locale.ROOT, "sticky balance at %d endpoints: Armeria %.3f against podlb %.3f"
                        + " (Armeria moves %.0f%% of all keys when one endpoint is removed, podlb %.1f%%)", size,
                        armeria.maxOverMean(), podlb.maxOverMean(), armeria.movedOnRemove() * 100, podlb.movedOnRemove() * 100));
            }
        }
        line("");
    }

    private void updateCost() throws RunnerException {
        line("## 3. Update cost and memory");
        line("");
        line("Time to apply a new set of N endpoints (build the picker), `RebuildBenchmark`, µs:");
        line("");
        Collection<RunResult> results = new Runner(jmh(RebuildBenchmark.class.getName()).threads(1).build()).run();
        line("| picker | 10 | 100 | 1000 | 10,000 |");
        line("|---|---|---|---|---|");
        Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
        for (RunResult r : results) {
            String name = r.getPrimaryResult().getLabel();
            scores.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(r.getParams().getParam("endpoints"),
                    r.getPrimaryResult().getScore());
        }
        scores.forEach((name, bySize) -> line("| " + name + " | " + String.join(" | ", format(bySize.values())) + " |"));
        line("");
        double roundRobin = perEndpoint(() -> balancer(10_000, false));
        double sticky = perEndpoint(() -> balancer(10_000, true));
        line("The sticky rows alternate two sets that differ by one pod, so each is the incremental update of"
                + " its table (one pod joining and one leaving), not a full build: see the slot table section.");
        line("");
        line(String.format(Locale.ROOT, "Memory, measured from the heap after collection: an `EndpointSet` of 10,000"
                + " endpoints takes %.0f bytes per endpoint; a round-robin load balancer over it %.0f bytes per endpoint"
                + " in all; a sticky one %.0f (its table of 2^22 slots is %.0f KiB at this size).",
                perEndpoint(() -> set(10_000)), roundRobin, sticky, (sticky - roundRobin) * 10_000 / 1024));
        line("");
        line("Heap kept alive per load balancer, its endpoints included, by picker and pod count (`LoadBalancerMemory`):");
        line("");
        LoadBalancerMemory.table().forEach(this::line);
        line("");
        line(String.format(Locale.ROOT, "The affinity memory (learned session cookies) takes %.0f bytes per remembered session"
                + " (100,000 sessions; keys are kept as 64-bit hashes, whatever the cookie's length).", perSession()));
        line("");
    }

    private void slotTable() throws RunnerException {
        line("## 3b. The sticky slot table");
        line("");
        line("`SlotTableBenchmark`, µs: a full build, one pod joining, one leaving (an update of the previous table),"
                + " and ns per pick over 2^20 distinct keys. The table's size follows the pod count (2^18 slots up to"
                + " 256 pods, 2^21 up to 1,536, 2^22 beyond); its balance is asserted in `SlotTableTest`.");
        line("");
        Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
        for (RunResult r : new Runner(jmh(SlotTableBenchmark.class.getName()).threads(1).build()).run()) {
            scores.computeIfAbsent(r.getPrimaryResult().getLabel(), k -> new LinkedHashMap<>())
                    .put(r.getParams().getParam("pods"), r.getPrimaryResult().getScore());
        }
        line("| operation | 10 pods | 100 | 1000 | 5000 |");
        line("|---|---|---|---|---|");
        scores.forEach((name, bySize) -> line("| " + name + " | " + String.join(" | ", format(bySize.values())) + " |"));
        line("");
    }

    private void loadAwarePickCost() throws RunnerException {
        line("## 1b. Pick cost of the load-aware pickers");
        line("");
        line("ns per pick through `LoadBalancer.pick`, each pod with 0–4 requests in flight and a latency sample,"
                + " `LoadAwarePickBenchmark`; least-request's target is within 3× of round-robin.");
        for (int threads : new int[] {1, 2}) {
            Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
            for (RunResult r : new Runner(jmh(LoadAwarePickBenchmark.class.getName()).threads(threads).build()).run()) {
                scores.computeIfAbsent(r.getParams().getParam("picker"), k -> new LinkedHashMap<>())
                        .put(r.getParams().getParam("endpoints"), r.getPrimaryResult().getScore());
            }
            threadsHeading(threads);
            line("| picker | 10 pods | 100 | 1000 |");
            line("|---|---|---|---|");
            Map<String, Double> roundRobin = scores.get("roundRobin");
            scores.forEach((picker, bySize) -> {
                StringBuilder row = new StringBuilder("| " + picker + " |");
                bySize.forEach((size, score) -> {
                    double ratio = score / roundRobin.get(size);
                    row.append(String.format(Locale.ROOT, " %.1f (%.1f× round-robin) |", score, ratio));
                    if (picker.equals("leastRequest") && ratio > 3) {
                        losses.add(String.format(Locale.ROOT, "least-request pick, %d thread(s), %s pods: %.1f× round-robin,"
                                + " above its goal of 3×", threads, size, ratio));
                    }
                });
                line(row.toString());
            });
        }
        line("");
    }

    private void zonePickCost() throws RunnerException {
        line("## 1c. Zone-aware routing: pick cost and calls kept in zone");
        line("");
        line("Round-robin over endpoints in three zones, each hinted for its own, from a client in zone a;"
                + " `cluster` is no topology, `zone` keeps every call in a, `spill` has one of a's pods ejected so"
                + " that a share spills out. ns per pick at 1 thread (ratio to `cluster`), and the share of 100,000"
                + " picks that stayed in a. `ZonePickBenchmark`.");
        line("");
        Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
        for (RunResult r : new Runner(jmh(ZonePickBenchmark.class.getName()).threads(1).build()).run()) {
            scores.computeIfAbsent(r.getParams().getParam("routing"), k -> new LinkedHashMap<>())
                    .put(r.getParams().getParam("endpoints"), r.getPrimaryResult().getScore());
        }
        line("| routing | 10 pods | 100 | 1000 | kept in zone a (10 / 100 / 1000 pods) |");
        line("|---|---|---|---|---|");
        for (Map.Entry<String, Map<String, Double>> row : scores.entrySet()) {
            StringBuilder text = new StringBuilder("| " + row.getKey() + " |");
            List<String> kept = new ArrayList<>();
            for (Map.Entry<String, Double> size : row.getValue().entrySet()) {
                text.append(String.format(Locale.ROOT, " %.1f (%.2f×) |", size.getValue(),
                        size.getValue() / scores.get("cluster").get(size.getKey())));
                ZonePickBenchmark probe = new ZonePickBenchmark();
                probe.routing = row.getKey();
                probe.endpoints = Integer.parseInt(size.getKey());
                probe.setUp();
                kept.add(String.format(Locale.ROOT, "%.1f%%", probe.keptInZone * 100));
                probe.tearDown();
            }
            line(text + " " + String.join(" / ", kept) + " |");
        }
        line("");
    }

    private void fleet() throws Exception {
        line("## 7. Load-aware picking over a fleet, and slow start");
        line("");
        java.nio.file.Path results = java.nio.file.Files.createTempDirectory("podlb-fleet");
        String fleetFile = results.resolve("fleet.md").toString();
        String[] options = quick ? new String[] {"--warmup", "1", "--seconds", "3", fleetFile}
                : new String[] {"--warmup", "3", "--seconds", "12", fleetFile};
        dev.podlb.benchmarks.fleet.FleetBenchmark.main(options);
        dev.podlb.benchmarks.fleet.SlowStartShare.main(quick ? new String[] {"--seconds", "8", results.toString()}
                : new String[] {results.toString()});
        for (String name : new String[] {"fleet.md", "slow-start.md"}) {
            String text = java.nio.file.Files.readString(results.resolve(name));
            // One level down: the file's title becomes a subsection of this one.
            out.append(text.replaceAll("(?m)^(#+) ", "$1## ")).append('\n');
        }
        String image = results.resolve("slow-start.png").toString();
        if (!quick) { // a quick run's plot is not for quoting: it stays beside its tables in the temporary folder
            java.nio.file.Files.copy(results.resolve("slow-start.png"), java.nio.file.Path.of("benchmarks", "results",
                    "slow-start.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            image = "benchmarks/results/slow-start.png";
        }
        line("![A new pod's share of calls under slow start, second by second](" + image + ")");
        line("");
    }

    private void reportPath() throws RunnerException {
        line("## 3c. The report path");
        line("");
        line("ns to tell a load balancer how a call went (`report`), beside an `AtomicInteger` increment of the pod in"
                + " turn (same rotation over 10 pods) and one shared counter, and beside the first release's report,"
                + " a resilience4j circuit breaker's `onSuccess`; `attempt` is the interceptor's `start` and `end`"
                + " (requests in flight, two clock reads, the latency average), beside a per-pod `AtomicLong` incremented"
                + " and decremented (the pair an attempt is held to). `ReportBenchmark`.");
        line("");
        line("| threads | report | pod counter | ratio | shared counter | first release | attempt | pod counter pair | ratio |");
        line("|---|---|---|---|---|---|---|---|---|");
        for (int threads : new int[] {1, 2}) {
            Map<String, Double> score = new LinkedHashMap<>();
            for (RunResult r : new Runner(jmh(ReportBenchmark.class.getName()).threads(threads).build()).run()) {
                score.put(r.getPrimaryResult().getLabel(), r.getPrimaryResult().getScore());
            }
            double ratio = score.get("report") / score.get("baselinePodCounter");
            if (ratio > 2) {
                losses.add(String.format(Locale.ROOT, "report path, %d thread(s): %.1f ns, %.2f× the pod-counter baseline,"
                        + " above its goal of 2×", threads, score.get("report"), ratio));
            }
            double attemptRatio = score.get("attempt") / score.get("baselinePodCounterPair");
            if (threads == 1 && score.get("attempt") > 40 || threads > 1 && attemptRatio > 2) {
                losses.add(String.format(Locale.ROOT, "attempt start and end, %d thread(s): %.0f ns, %.2f× a per-pod AtomicLong"
                        + " pair (goals: 40 ns at 1 thread, 2× the pair at 2)", threads, score.get("attempt"), attemptRatio));
            }
            line(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f× | %.1f | %.1f | %.0f | %.1f | %.2f× |", threads,
                    score.get("report"), score.get("baselinePodCounter"), score.get("report") / score.get("baselinePodCounter"),
                    score.get("baselineAtomicIncrement"), score.get("firstReleaseResilience4jOnSuccess"),
                    score.get("attempt"), score.get("baselinePodCounterPair"), attemptRatio));
        }
        line("");
    }

    private void attempts() throws Exception {
        line("## 4b. OkHttp attempts: connections, retry amplification, backoff");
        line("");
        line("Counts, not timings (`OkHttpAttempts`).");
        line("");
        out.append(OkHttpAttempts.tables(quick));
    }

    private void rollout() throws Exception {
        line("## 6. A rolling restart of a large service");
        line("");
        line("Every pod of the service replaced once, as a Deployment's rollout does it (new pod ready, old one"
                + " terminating, then removed: three EndpointSlice writes per pod, as fast as the mock API server takes"
                + " them), watched by one client whose load balancer batches changes within 50 ms (and within twice its"
                + " last rebuild's cost). The API server runs in a child JVM, so the CPU is the client's alone; podlb"
                + " threads' share is counted separately (the rest is fabric8's informer, JSON and the JVM). Lag: from"
                + " each write to the first set the load balancer applied that shows it. `LargeRollout`.");
        line("");
        line("| pods | picker | writes | rollout s | client CPU s | of which podlb threads s | lag median ms | lag max ms |");
        line("|---|---|---|---|---|---|---|---|");
        for (int slices : quick ? new int[] {2} : new int[] {10, 50}) {
            for (String picker : new String[] {"round-robin", "sticky"}) {
                LargeRollout.Result r = LargeRollout.run(picker, java.time.Duration.ofMillis(50), slices);
                line(String.format(Locale.ROOT, "| %,d | %s | %,d | %.0f | %.1f | %.1f | %.0f | %.0f |",
                        slices * LargeRollout.PER_SLICE, picker, r.writes(), r.rolloutSeconds(), r.clientCpuSeconds(),
                        r.podlbCpuSeconds(), r.medianLagMillis(), r.maxLagMillis()));
                if (r.medianLagMillis() > 500) {
                    losses.add(String.format(Locale.ROOT, "rolling restart of %,d pods, %s: the set lags the API server by"
                            + " %.0f ms (median), %.0f ms at most, its rebuilds taking %.0f s of podlb threads over %.0f s",
                            slices * LargeRollout.PER_SLICE, picker, r.medianLagMillis(), r.maxLagMillis(),
                            r.podlbCpuSeconds(), r.rolloutSeconds()));
                }
            }
        }
        line("");
    }

    private static List<String> format(Collection<Double> values) {
        List<String> cells = new ArrayList<>();
        for (double v : values) {
            cells.add(String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v));
        }
        return cells;
    }

    /** Endpoints 0 to n - 1, each with its pod's name, as discovery gives them: names take memory too. */
    private static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Endpoint.builder(Peers.address(i).getAddress(), 8080).podName("backend-" + i).build());
        }
        return list;
    }

    private static Object set(int n) {
        return EndpointSet.of(1, endpoints(n));
    }

    private static Object balancer(int n, boolean sticky) {
        return Peers.podlbBalancer(endpoints(n), sticky);
    }

    /** Heap bytes per endpoint that what {@code make} builds keeps alive (10,000 endpoints). */
    private static double perEndpoint(java.util.function.Supplier<Object> make) {
        long before = usedAfterGc();
        Object kept = make.get();
        long after = usedAfterGc();
        java.lang.ref.Reference.reachabilityFence(kept);
        return (after - before) / 10_000.0;
    }

    private static double perSession() {
        List<Endpoint> pods = endpoints(10);
        long before = usedAfterGc();
        AffinityMemory memory = AffinityMemory.builder().maximumSize(200_000).build();
        for (int i = 0; i < 100_000; i++) {
            memory.bind("JSESSIONID-" + i + "-0123456789abcdef0123456789abcdef", pods.get(i % pods.size()));
        }
        long after = usedAfterGc();
        java.lang.ref.Reference.reachabilityFence(memory);
        return (after - before) / 100_000.0;
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private void endToEnd() throws RunnerException {
        line("## 4. End to end");
        line("");
        line("GETs through OkHttp with podlb's interceptor against plain OkHttp, to the same local server on 127.0.0.2,"
                + " `EndToEndBenchmark`, each podlb row beside plain OkHttp's of the same run (goals: at least 0.97× its"
                + " requests per second, at most 5 µs added at the median):");
        line("");
        line("| threads | picker | client | requests/s | ratio | median µs | added µs | p99 µs |");
        line("|---|---|---|---|---|---|---|---|");
        for (int threads : new int[] {1, 2}) {
            for (String picker : new String[] {"roundRobin", "leastRequestLatencyAware"}) {
                Collection<RunResult> results = new Runner(jmh(EndToEndBenchmark.class.getName()).threads(threads)
                        .param("picker", picker).build()).run();
                Map<String, Double> throughput = new LinkedHashMap<>();
                Map<String, double[]> latency = new LinkedHashMap<>();
                for (RunResult r : results) {
                    String name = r.getPrimaryResult().getLabel();
                    if (r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.Throughput) {
                        throughput.put(name, r.getPrimaryResult().getScore() * 1e6);
                    } else {
                        org.openjdk.jmh.util.Statistics stats = r.getPrimaryResult().getStatistics();
                        latency.put(name, new double[] {stats.getPercentile(50), stats.getPercentile(99)});
                    }
                }
                double plainRps = throughput.getOrDefault("plainOkHttp", Double.NaN);
                double plainMedian = latency.getOrDefault("plainOkHttp", new double[] {Double.NaN, Double.NaN})[0];
                for (String client : new String[] {"plainOkHttp", "podlbOkHttp"}) {
                    double rps = throughput.getOrDefault(client, Double.NaN);
                    double[] l = latency.getOrDefault(client, new double[] {Double.NaN, Double.NaN});
                    line(String.format(Locale.ROOT, "| %d | %s | %s | %.0f | %.2f× | %.1f | %+.1f | %.1f |", threads, picker, client,
                            rps, rps / plainRps, l[0], l[0] - plainMedian, l[1]));
                    if (client.equals("podlbOkHttp") && (rps / plainRps < 0.97 || l[0] - plainMedian > 5)) {
                        losses.add(String.format(Locale.ROOT, "end to end, %d thread(s), %s: %.2f× plain OkHttp's requests"
                                + " per second, %+.1f µs at the median (goals: 0.97×, +5 µs)", threads, picker, rps / plainRps,
                                l[0] - plainMedian));
                    }
                }
            }
        }
        line("");
        line("Bytes per call beyond plain OkHttp's: `java -cp benchmarks/target/benchmarks.jar"
                + " dev.podlb.benchmarks.CallAllocation` (the caller's thread only; see section 4d).");
        line("");
    }

    private void propagation() throws Exception {
        line("## 5. Propagation");
        line("");
        line("From a change at the source until picks use the new set (the load balancer's set-changed event),"
                + " median of repeated changes:");
        line("");
        line("| source | changes | median ms |");
        line("|---|---|---|");
        line(String.format(Locale.ROOT, "| EndpointSlice update on the fabric8 mock API server (watch) | 20 | %.1f |",
                Propagation.kubernetesMedianMillis(20)));
        line(String.format(Locale.ROOT, "| DNS answer change, TTL 1 s, refresh clamped to [1 s, 30 s] | 5 | %.1f |",
                Propagation.dnsMedianMillis(5, 1)));
        line("");
    }

    /** lb-grpc beside gRPC-java's own resolver and round_robin: pick cost here, channels in a child JVM (a hosts file for gRPC). */
    private void grpc() throws Exception {
        line("## 8. gRPC channels");
        line("");
        line("podlb's gRPC module (`lb-grpc`: the `podlb+dns:///` resolver and the `podlb` policy) beside gRPC-java's own"
                + " `dns:///` resolver and `round_robin` policy.");
        line("");
        line("### Pick cost per call");
        line("");
        line("ns per pick through gRPC's `SubchannelPicker` API over READY subchannels (lower is better), 1 thread, and the"
                + " ratio to gRPC's round_robin in the same run. `GrpcPickBenchmark`. The podlb policy's stream tracer (a"
                + " podlb attempt started and ended per call) is not in this figure.");
        line("");
        Map<String, Map<Integer, Double>> scores = new LinkedHashMap<>();
        for (RunResult r : new Runner(jmh(GrpcPickBenchmark.class.getName()).threads(1).build()).run()) {
            scores.computeIfAbsent(r.getParams().getParam("picker"), k -> new LinkedHashMap<>())
                    .put(Integer.parseInt(r.getParams().getParam("endpoints")), r.getPrimaryResult().getScore());
        }
        line("| picker | 10 endpoints | 100 |");
        line("|---|---|---|");
        Map<Integer, Double> grpc = scores.get("grpcRoundRobin");
        scores.forEach((picker, bySize) -> {
            StringBuilder row = new StringBuilder("| " + picker + " |");
            for (int size : new int[] {10, 100}) {
                double score = bySize.get(size);
                row.append(String.format(Locale.ROOT, " %.1f (%.2f×) |", score, score / grpc.get(size)));
                if (picker.equals("podlbPolicyRoundRobin") && score > grpc.get(size)) {
                    losses.add(String.format(Locale.ROOT, "gRPC pick cost, %d endpoints: gRPC's round_robin %.1f ns against"
                            + " the podlb policy's round-robin %.1f ns", size, grpc.get(size), score));
                }
            }
            line(row.toString());
        });
        line("");
        out.append(GrpcBenchmark.measureInChildJvm(quick));
    }

    private void losses() {
        line("## Where podlb loses, or does not reach its goal");
        line("");
        if (losses.isEmpty()) {
            line("No row of this run.");
        }
        for (String loss : losses) {
            line("- " + loss);
        }
        line("- not compared: no peer's update cost or memory is measured here; podlb's sticky picker takes"
                + " milliseconds to rebuild (its slot table), against microseconds for round-robin.");
        line("");
    }

    private void line(String text) {
        out.append(text).append('\n');
    }
}
