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
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.profile.JavaFlightRecorderProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every table of {@code BENCHMARKS.md} — pick cost beside the peers, sticky quality, update
 * cost and memory, the slot table, the report path, end to end with bytes per call, OkHttp
 * attempts and hedging, a Flight Recorder profile of a call, propagation, rollouts, the fleet,
 * gRPC — and writes the whole file, the goals of issue 23 with this run's figures at its end.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests &amp;&amp; java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.BenchmarkReport
 * </pre>
 * {@code --quick} shortens every run (for trying the harness, not for quoting); {@code --only
 * pick,profile} writes only the named sections (names in {@link #sections()}), to
 * {@code benchmarks/target/BENCHMARKS-only.md} unless a file is given; the goals of issue 23 and
 * the losses close every report. Runs on the main thread; each section runs its own JMH forks,
 * tools or child JVMs one after another.
 */
public final class BenchmarkReport {
    private static final String COMMAND = "mvn -q -pl benchmarks -am package -DskipTests && "
            + "java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.BenchmarkReport";
    private static final int[] SIZES = {10, 100, 1000};
    /** Stands in the header for the run's duration until the run is over. */
    private static final String DURATION = "{duration}";

    private final boolean quick;
    private final StringBuilder out = new StringBuilder();
    /** Rows where a peer did better than podlb, said again at the end. */
    private final List<String> losses = new ArrayList<>();
    /** Issue 23's goals measured by the sections that ran, by key of {@link #GOALS}. */
    private final Map<String, Goal> goals = new LinkedHashMap<>();
    /** How long each section took, printed at the end (for the run's duration, not the file). */
    private final List<String> timings = new ArrayList<>();

    private BenchmarkReport(boolean quick) {
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        List<String> arguments = List.of(args);
        boolean quick = arguments.contains("--quick");
        BenchmarkReport report = new BenchmarkReport(quick);
        Map<String, Section> sections = report.sections();
        List<String> only = only(arguments, sections.keySet());
        Path file = Path.of(arguments.stream().filter(a -> !a.startsWith("--") && !a.equals(onlyValue(arguments)))
                .findFirst().orElse(only == null ? "BENCHMARKS.md" : "benchmarks/target/BENCHMARKS-only.md"));
        report.header(only);
        long started = System.nanoTime();
        for (Map.Entry<String, Section> section : sections.entrySet()) {
            if (only == null || only.contains(section.getKey())) {
                long start = System.nanoTime();
                try {
                    section.getValue().write();
                } catch (Exception | AssertionError e) {
                    // One section's failure must not cost the others' runs: it is said in the file, and the run goes on.
                    e.printStackTrace();
                    report.line("");
                    report.line("**Section `" + section.getKey() + "` failed in this run:** `" + e + "`");
                    report.line("");
                    report.losses.add("section `" + section.getKey() + "` failed in this run: " + e);
                }
                report.timings.add(String.format(Locale.ROOT, "%s %.0f s", section.getKey(), (System.nanoTime() - start) / 1e9));
                // Written after each section too, so that whatever ends the run, what it measured is kept.
                Files.writeString(file, report.out.toString());
            }
        }
        report.goals();
        report.losses();
        Files.writeString(file, report.out.toString().replace(DURATION, String.format(Locale.ROOT, "%.0f",
                (System.nanoTime() - started) / 60e9)));
        System.out.println("wrote " + file.toAbsolutePath() + String.format(Locale.ROOT, " in %.0f s; sections: %s",
                (System.nanoTime() - started) / 1e9, String.join(", ", report.timings)));
        // The propagation table's mock API server (KubernetesApi) is never stopped: its threads would keep the JVM alive.
        System.exit(0);
    }

    /** One section of the report: writes its heading, prose and tables from its own runs. */
    @FunctionalInterface
    private interface Section {
        void write() throws Exception;
    }

    /** The sections in the order the file lists them, by the name {@code --only} takes. */
    private Map<String, Section> sections() {
        Map<String, Section> sections = new LinkedHashMap<>();
        sections.put("pick", this::pickCost);
        sections.put("load-aware", this::loadAwarePickCost);
        sections.put("zone", this::zonePickCost);
        sections.put("sticky", this::stickyQuality);
        sections.put("update", this::updateCost);
        sections.put("slot-table", this::slotTable);
        sections.put("report-path", this::reportPath);
        sections.put("end-to-end", this::endToEnd);
        sections.put("attempts", this::attempts);
        sections.put("profile", this::profile);
        sections.put("propagation", this::propagation);
        sections.put("rollout", this::rollout);
        sections.put("fleet", this::fleet);
        sections.put("grpc", this::grpc);
        return sections;
    }

    private static String onlyValue(List<String> arguments) {
        int at = arguments.indexOf("--only");
        return at < 0 ? null : at + 1 < arguments.size() ? arguments.get(at + 1) : "";
    }

    /** The sections {@code --only a,b} names, or null for all; an unknown name is refused, naming the known ones. */
    private static List<String> only(List<String> arguments, java.util.Set<String> known) {
        String value = onlyValue(arguments);
        if (value == null) {
            return null;
        }
        List<String> names = List.of(value.split(","));
        for (String name : names) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("--only: unknown section \"" + name + "\"; expected a comma-separated list of "
                        + String.join(", ", known));
            }
        }
        return names;
    }

    private void header(List<String> only) {
        Runtime rt = Runtime.getRuntime();
        line("# podlb benchmarks");
        line("");
        line("Written by `" + COMMAND + "`" + (quick ? " --quick (short runs: for trying the harness, not for quoting)" : "")
                + (only == null ? "" : " --only " + String.join(",", only) + " (these sections only)")
                + " on " + LocalDate.now() + ", in " + DURATION + " minutes.");
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

    /**
     * A pick benchmark's options: 2 warm-up and 4 measured iterations of a second, not 3 and 5. A
     * pick is nanoseconds, compiled within the first warm-up second, and these tables are ratios
     * of 1.5× and more between libraries; their 111 forks are two thirds of the report's JMH runs,
     * and this keeps the whole run within 50 minutes on 2 cores.
     */
    private ChainedOptionsBuilder pickJmh(String include) {
        ChainedOptionsBuilder options = jmh(include);
        return quick ? options : options.warmupIterations(2).measurementIterations(4);
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
            Collection<RunResult> results = new Runner(pickJmh(PeerPickBenchmark.class.getName()).threads(threads).build()).run();
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
        line("The sticky rows alternate two sets that differ by one pod (one joining, one leaving). With a handful of pods"
                + " (10 here) a join builds the table anew, which at that size takes milliseconds; at 100 pods each row is the"
                + " incremental update of the table; from 769 pods on, a leave publishes at once an interim table that picks"
                + " as the updated one would, settled later off this path, so those rows hold the join and the interim but"
                + " not the settle (a rollout's whole cost, settles included, is in section 6): see the slot table section.");
        line("");
        line(String.format(Locale.ROOT, "Memory, measured from the heap after collection: an `EndpointSet` of 10,000"
                + " endpoints takes %.0f bytes per endpoint; a round-robin load balancer over it %.0f bytes per endpoint"
                + " in all; a sticky one %.0f (its table of 2^22 slots is %.0f KiB at this size).",
                perEndpoint(() -> set(10_000)), roundRobin, sticky, (sticky - roundRobin) * 10_000 / 1024));
        line("");
        line("Heap kept alive per load balancer, its endpoints included, by picker and pod count (`LoadBalancerMemory`: heap"
                + " used after collection with the load balancers built and ready, less before, over 4 to 200 load balancers"
                + " each on its own endpoints, the second of two passes so that class loading and shared threads are not"
                + " counted); and in all for a client holding 50 load balancers of 20 pods each:");
        line("");
        LoadBalancerMemory.table(); // a first pass loads the classes and starts the shared threads, which the second leaves out
        List<String> memory = LoadBalancerMemory.table();
        memory.forEach(this::line);
        memoryGoal(memory);
        line("");
        line("A sticky load balancer holds what a round-robin one does and its slot table: two bytes a slot, 2^21 slots"
                + " up to 1,536 pods and 2^22 beyond (8 MiB), in chunks of 128 KiB: G1 gives an object above half a heap"
                + " region whole regions of its own, and a single array of 2^22 chars took 12 MiB with this heap's regions"
                + " (the last run before the chunks: 14.3 MiB a sticky load balancer at 5,000 pods, 8.5 MiB at 1,000)."
                + " Fewer slots would miss the balance goal: with each slot's owner drawn evenly, as rendezvous ranking"
                + " draws it, the busiest of 5,000 pods owns about 1.18× the mean of 2^21 slots, 1.12× of 2^22.");
        line("");
        line(String.format(Locale.ROOT, "The affinity memory (learned session cookies) takes %.0f bytes per remembered session"
                + " (100,000 sessions; keys are kept as 64-bit hashes, whatever the cookie's length).", perSession()));
        line("");
    }

    /** Issue 23's memory goals from {@code LoadBalancerMemory}'s table: sticky at 5,000 pods, and that the table is there. */
    private void memoryGoal(List<String> table) {
        goal("memory-table", "measured: " + (table.size() - 2) + " pickers × 4 sizes, and 50 × 20 pods", true);
        for (String row : table) {
            String[] cells = row.split("\\|");
            if (cells.length > 5 && cells[1].strip().equals("sticky")) {
                double kib = Double.parseDouble(cells[5].strip().replace(" KiB", ""));
                goal("memory-sticky-5000", String.format(Locale.ROOT, "%.1f MiB", kib / 1024), kib <= 8 * 1024);
                if (kib > 8 * 1024) {
                    losses.add(String.format(Locale.ROOT, "memory of a sticky load balancer at 5,000 pods: %.1f MiB, against a"
                            + " goal of 8 MiB", kib / 1024));
                }
            }
        }
    }

    private void slotTable() throws RunnerException {
        line("## 3b. The sticky slot table");
        line("");
        line("`SlotTableBenchmark`, µs: a full build, one pod joining, one leaving (an update of the previous table),"
                + " one pod joining an interim table (a leave not yet settled: the joiner's slots are kept beside it, the"
                + " owners not copied); and ns per pick over 2^20 distinct keys, on a settled table and on an interim one"
                + " with every 20th pod departed, as a rollout leaves them between settles (a key on a departed pod's slot"
                + " ranks every present pod, so this is a pick plus 5% of N rankings on average). The table's size follows the pod count (2^18 slots up to"
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
        line("Each table's size and balance, read from every slot (`SlotTableBalance`): the slots the busiest pod owns over"
                + " the mean (goals of issue 23: at most 1.10 at 1,000 pods and 1.15 at 5,000). Sampled keys cannot show it:"
                + " the million keys of section 2 are 200 a pod at 5,000 pods, whose noise alone is about 25%.");
        line("");
        line("| pods | slots | table bytes | busiest pod over the mean |");
        line("|---|---|---|---|");
        for (int pods : new int[] {10, 100, 1000, 5000}) {
            SlotTableBalance.Result table;
            try {
                table = SlotTableBalance.measure(pods);
            } catch (Throwable e) {
                throw new IllegalStateException("slot table of " + pods + " pods", e);
            }
            line(String.format(Locale.ROOT, "| %,d | 2^%d | %,d | %.3f |", pods, Integer.numberOfTrailingZeros(table.slots()),
                    table.bytes(), table.busiestOverMean()));
            if (pods == 1000 || pods == 5000) {
                double goal = pods == 1000 ? 1.10 : 1.15;
                goal("balance-" + pods, String.format(Locale.ROOT, "%.3f", table.busiestOverMean()), table.busiestOverMean() <= goal);
            }
        }
        line("");
    }

    private void loadAwarePickCost() throws RunnerException {
        line("## 1b. Pick cost of the load-aware pickers");
        line("");
        line("ns per pick through `LoadBalancer.pick`, each pod with 0–4 requests in flight and a latency sample,"
                + " `LoadAwarePickBenchmark`; least-request's target is within 3× of round-robin.");
        for (int threads : new int[] {1, 2}) {
            Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
            for (RunResult r : new Runner(pickJmh(LoadAwarePickBenchmark.class.getName()).threads(threads).build()).run()) {
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
        for (RunResult r : new Runner(pickJmh(ZonePickBenchmark.class.getName()).threads(1).build()).run()) {
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
                + " (requests in flight, the outcome) on a round-robin load balancer, which reads no clock for them, beside"
                + " a per-pod `AtomicLong` incremented and decremented (the pair an attempt is held to); `attempt with"
                + " latency` is the same where the load balancer keeps each pod's latency (latency-aware least-request, or"
                + " `recordLatency()`): two clock reads and the latency average more. Each pod's baseline counter has a cache"
                + " line of its own, as each pod's attempt fields do, and at 2 threads each thread starts on its own pod, as"
                + " concurrent round-robin picks go to consecutive pods; two threads going round the same pods fall into"
                + " step or drift apart from one trial to the next, so the pair's figure at 2 threads varies about 2× with"
                + " it. `ReportBenchmark`.");
        line("");
        line("| threads | report | pod counter | ratio | shared counter | first release | attempt | pod counter pair | ratio"
                + " | attempt with latency |");
        line("|---|---|---|---|---|---|---|---|---|---|");
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
            if (threads == 1) {
                goal("attempt-1", String.format(Locale.ROOT, "%.0f ns (a per-pod `AtomicLong` pair: %.1f ns); %.0f ns where"
                        + " latency is kept", score.get("attempt"), score.get("baselinePodCounterPair"),
                        score.get("attemptWithLatency")), score.get("attempt") <= 40);
                goal("report-1", String.format(Locale.ROOT, "%.2f× (%.1f ns against %.1f)", ratio, score.get("report"),
                        score.get("baselinePodCounter")), ratio <= 2);
            } else {
                goal("attempt-2", String.format(Locale.ROOT, "%.2f× (%.0f ns against %.1f)", attemptRatio, score.get("attempt"),
                        score.get("baselinePodCounterPair")), attemptRatio <= 2);
            }
            if (threads == 1 && score.get("attempt") > 40 || threads > 1 && attemptRatio > 2) {
                losses.add(String.format(Locale.ROOT, "attempt start and end, %d thread(s): %.0f ns, %.2f× a per-pod AtomicLong"
                        + " pair (goals: 40 ns at 1 thread, 2× the pair at 2)", threads, score.get("attempt"), attemptRatio));
            }
            line(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f× | %.1f | %.1f | %.0f | %.1f | %.2f× | %.0f |", threads,
                    score.get("report"), score.get("baselinePodCounter"), score.get("report") / score.get("baselinePodCounter"),
                    score.get("baselineAtomicIncrement"), score.get("firstReleaseResilience4jOnSuccess"),
                    score.get("attempt"), score.get("baselinePodCounterPair"), attemptRatio, score.get("attemptWithLatency")));
        }
        line("");
    }

    private void attempts() throws Exception {
        line("## 4b. OkHttp attempts: connections, retry amplification, backoff");
        line("");
        line("Counts, not timings (`OkHttpAttempts`).");
        line("");
        String tables = OkHttpAttempts.tables(quick);
        int http2 = tables.indexOf("### HTTP/2");
        int hedging = tables.indexOf("### Hedging");
        if (http2 < 0 || hedging < http2) { // OkHttpAttempts's tables as they come, if their order is not the one described below
            out.append(tables);
            return;
        }
        out.append(tables, 0, http2);
        line("## 4c. OkHttp attempts over HTTP/2, and hedging");
        line("");
        line("`OkHttpAttempts` again: counts, and an open-loop latency run.");
        line("");
        out.append(tables, http2, hedging);
        line("Every retry runs on a call of its own, so retries leave a pod's HTTP/2 connection shared by the calls on it:"
                + " one connection per pod is the expected count. A retry that retired the connection of the pod it left"
                + " (`noNewExchanges`) would cost a new connection to that pod for the calls after each 503.");
        line("");
        out.append(tables, hedging, tables.length());
        line("The goal of hedging here is a p99.9 within 2× a healthy pod's median for at most 5% extra requests. The"
                + " pausing pod takes a third of the calls and pauses 20% of the time, so 6.7% of all requests meet a pause:"
                + " hedging each of them already costs more than 5%, and a p99.9 within twice a median of a fraction of a"
                + " millisecond needs a hedge sooner than the delays tried. Each hedged call holds the caller's thread and"
                + " runs its attempts on two more threads, which costs most when the CPU is short: on a loaded machine"
                + " hedging can lengthen the tail it is meant to cut.");
        line("");
    }

    private void rollout() throws Exception {
        line("## 6. A rolling restart of a large service");
        line("");
        line("Every pod of the service replaced once, as a Deployment's rollout does it (new pod ready, old one"
                + " terminating, then removed: three EndpointSlice writes per pod, as fast as the mock API server takes"
                + " them), watched by one client whose load balancer batches changes within 50 ms (held longer only"
                + " while its rebuilds have taken more than half of the time since, beyond a burst of four windows). A"
                + " sticky leave is published at once as an interim table, settled off the serial context no sooner than"
                + " nine times the last settle's cost after the one before, or at once when the pods departed since exceed"
                + " a sixteenth of those present; pods joining meanwhile are kept beside the interim table. Until a settle,"
                + " a pick whose key's slot belonged to a departed pod ranks every present pod (section 3b). The API server runs in a child JVM, so the CPU is the client's alone; podlb"
                + " threads' share is counted separately (the rest is fabric8's informer, JSON and the JVM; the benchmark's"
                + " own comparison of each applied set with the one before runs on a thread of its own, counted in"
                + " neither). Lag: from"
                + " each write to the first set the load balancer applied that shows it. `LargeRollout`.");
        line("");
        line("| pods | picker | writes | rollout s | client CPU s | of which podlb threads s | podlb threads, share of the rollout | lag median ms | lag max ms |");
        line("|---|---|---|---|---|---|---|---|---|");
        for (int slices : quick ? new int[] {2} : new int[] {10, 50}) {
            for (String picker : new String[] {"round-robin", "sticky"}) {
                LargeRollout.Result r = LargeRollout.run(picker, java.time.Duration.ofMillis(50), slices);
                line(String.format(Locale.ROOT, "| %,d | %s | %,d | %.0f | %.1f | %.1f | %.1f%% | %.0f | %.0f |",
                        slices * LargeRollout.PER_SLICE, picker, r.writes(), r.rolloutSeconds(), r.clientCpuSeconds(),
                        r.podlbCpuSeconds(), 100 * r.podlbCpuSeconds() / r.rolloutSeconds(), r.medianLagMillis(),
                        r.maxLagMillis()));
                int pods = slices * LargeRollout.PER_SLICE;
                if (picker.equals("sticky") && (pods == 1000 || pods == 5000)) {
                    double busy = r.podlbCpuSeconds() / r.rolloutSeconds();
                    goal("rollout-" + pods, String.format(Locale.ROOT, "median %.0f ms, max %.0f ms, podlb threads %.1f%% (%.1f s of"
                            + " %.0f s)", r.medianLagMillis(), r.maxLagMillis(), 100 * busy, r.podlbCpuSeconds(), r.rolloutSeconds()),
                            r.medianLagMillis() <= 100 && r.maxLagMillis() <= 500 && busy <= 0.05);
                }
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

    private void endToEnd() throws Exception {
        line("## 4. End to end");
        line("");
        line("GETs through OkHttp with podlb's interceptor against plain OkHttp, to the same local server on 127.0.0.2,"
                + " `EndToEndBenchmark`, each podlb row beside plain OkHttp's of the same run (goals: at least 0.97× its"
                + " requests per second, at most 5 µs added at the median). Bytes per call: JMH's `-prof gc`"
                + " (`gc.alloc.rate.norm` of the throughput run), which counts the in-process server's allocations too:");
        line("");
        line("| threads | picker | client | requests/s | ratio | median µs | added µs | p99 µs | bytes per call | added bytes |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        Map<String, Double> addedBytes = new LinkedHashMap<>();
        for (int threads : new int[] {1, 2}) {
            for (String picker : new String[] {"roundRobin", "leastRequestLatencyAware"}) {
                Collection<RunResult> results = new Runner(jmh(EndToEndBenchmark.class.getName()).threads(threads)
                        .param("picker", picker).addProfiler(GCProfiler.class).build()).run();
                Map<String, Double> throughput = new LinkedHashMap<>();
                Map<String, Double> bytes = new LinkedHashMap<>();
                Map<String, double[]> latency = new LinkedHashMap<>();
                for (RunResult r : results) {
                    String name = r.getPrimaryResult().getLabel();
                    if (r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.Throughput) {
                        throughput.put(name, r.getPrimaryResult().getScore() * 1e6);
                        bytes.put(name, r.getSecondaryResults().get("gc.alloc.rate.norm").getScore());
                    } else {
                        org.openjdk.jmh.util.Statistics stats = r.getPrimaryResult().getStatistics();
                        latency.put(name, new double[] {stats.getPercentile(50), stats.getPercentile(99)});
                    }
                }
                double plainRps = throughput.getOrDefault("plainOkHttp", Double.NaN);
                double plainMedian = latency.getOrDefault("plainOkHttp", new double[] {Double.NaN, Double.NaN})[0];
                double plainBytes = bytes.getOrDefault("plainOkHttp", Double.NaN);
                for (String client : new String[] {"plainOkHttp", "podlbOkHttp"}) {
                    double rps = throughput.getOrDefault(client, Double.NaN);
                    double[] l = latency.getOrDefault(client, new double[] {Double.NaN, Double.NaN});
                    double b = bytes.getOrDefault(client, Double.NaN);
                    line(String.format(Locale.ROOT, "| %d | %s | %s | %.0f | %.2f× | %.1f | %+.1f | %.1f | %,.0f | %+,.0f |",
                            threads, picker, client, rps, rps / plainRps, l[0], l[0] - plainMedian, l[1], b, b - plainBytes));
                    if (client.equals("podlbOkHttp")) {
                        double ratio = rps / plainRps;
                        double added = l[0] - plainMedian;
                        goal("e2e-rps-" + threads + "-" + picker, String.format(Locale.ROOT, "%.2f× (%.0f against %.0f a second)",
                                ratio, rps, plainRps), ratio >= 0.97);
                        goal("e2e-p50-" + threads + "-" + picker, String.format(Locale.ROOT, "%+.1f µs (%.1f against %.1f)",
                                added, l[0], plainMedian), added <= 5);
                        addedBytes.put(threads + "-" + picker, b - plainBytes);
                        if (ratio < 0.97 || added > 5) {
                            losses.add(String.format(Locale.ROOT, "end to end, %d thread(s), %s: %.2f× plain OkHttp's requests"
                                    + " per second, %+.1f µs at the median (goals: 0.97×, +5 µs)", threads, picker, ratio, added));
                        }
                    }
                }
            }
        }
        line("");
        line("### Bytes per call on the calling thread");
        line("");
        line("`CallAllocation`: bytes allocated on the calling thread per call (a synchronous OkHttp call encodes, sends and"
                + " reads on it; the in-process server's allocations, which JMH's `-prof gc` adds to every call, are not"
                + " counted), the two clients alternating call by call: the median call, and the median of the calls that took no new okio segment. okio pools its"
                + " 8 KiB segments per bucket of threads shared with the server's threads, so one client or the other may"
                + " allocate one 8,192-byte segment per call by luck of the pool (whichever client it hits changes from run"
                + " to run), so the goal below takes the nearest multiple of 8,192 bytes out of the difference of the median"
                + " calls. Its output, as printed:");
        line("");
        Map<String, Long> medianAdded = new LinkedHashMap<>();
        for (String printed : captured(() -> CallAllocation.main(new String[0])).split("\n")) {
            if (printed.isBlank()) {
                continue;
            }
            line("- " + printed.strip());
            java.util.regex.Matcher m = CALL_ALLOCATION.matcher(printed);
            if (m.find()) {
                medianAdded.put(m.group(1), Long.parseLong(m.group(3)) - Long.parseLong(m.group(2)));
            }
        }
        line("");
        line("### podlb's CPU per call on the calling thread");
        line("");
        line("`InterceptorCpu`: `InterceptorBenchmark`'s two clients (a call answered by an interceptor placed after"
                + " podlb's, no network, so nothing but podlb's work differs), timed by the calling thread's CPU time rather"
                + " than the wall clock, so that time the thread spends preempted by other processes is not counted; blocks"
                + " of 20,000 calls of each client alternate, each going first in every other pair. Its output, as printed:");
        line("");
        for (String printed : captured(() -> InterceptorCpu.main(new String[0])).split("\n")) {
            if (!printed.isBlank()) {
                line("- " + printed.strip());
            }
        }
        line("");
        for (String picker : new String[] {"roundRobin", "leastRequestLatencyAware"}) {
            Double one = addedBytes.get("1-" + picker);
            Double two = addedBytes.get("2-" + picker);
            Long measured = medianAdded.get(picker);
            Long median = measured == null ? null : measured - Math.round(measured / 8192.0) * 8192;
            boolean met = one != null && one <= 300 && two != null && two <= 300 && median != null && median <= 300;
            goal("bytes-" + picker, String.format(Locale.ROOT, "`-prof gc`: %+,.0f B at 1 thread, %+,.0f at 2; `CallAllocation`"
                    + " median call: %s", one, two, median == null ? "not read" : String.format(Locale.ROOT,
                    "%+,d (%+,d as measured, okio's segments taken out)", median, measured)), met);
            if (!met) {
                losses.add(String.format(Locale.ROOT, "bytes per call through the interceptor, %s: %+,.0f (1 thread) and %+,.0f"
                        + " (2 threads) beyond plain OkHttp's by `-prof gc`, %s on the calling thread (goal 300)", picker, one, two,
                        median == null ? "not read" : String.format(Locale.ROOT, "%+,d", median)));
            }
        }
    }

    /** {@code CallAllocation}'s line for one picker: its median call's bytes, plain OkHttp's then podlb's. */
    private static final java.util.regex.Pattern CALL_ALLOCATION =
            java.util.regex.Pattern.compile("^(\\w+): median call: plain OkHttp (\\d+) bytes, podlb (\\d+)");

    /** What {@code tool} prints to {@code System.out}, for a tool that only prints its figures. */
    private static String captured(Section tool) throws Exception {
        java.io.PrintStream console = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            tool.write();
        } finally {
            System.setOut(console);
        }
        String text = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        console.print(text);
        return text;
    }

    /**
     * Issue 23's profile: {@code EndToEndBenchmark}'s two clients recorded by JMH's Flight Recorder
     * profiler (from the first measurement iteration), each recording read here.
     */
    private void profile() throws Exception {
        line("## 4d. Where a call's time and memory go (JDK Flight Recorder)");
        line("");
        Path folder = Files.createTempDirectory("podlb-profile");
        Path settings = CallProfile.settings(folder);
        int seconds = quick ? 1 : 10;
        line("`EndToEndBenchmark` at 2 threads, each client in its own JVM recorded by JMH's Flight Recorder profiler"
                + " (`-prof jfr`) over " + seconds + " s of measurement after the warm-up, with the JDK's `profile` settings"
                + " sampling Java code every millisecond; each recording read with `jdk.jfr.consumer.RecordingFile`."
                + " Only the benchmark's own threads count (the in-process server's are left out). A CPU sample"
                + " (`jdk.ExecutionSample`) or an allocation sample (`jdk.ObjectAllocationSample`, weighted by the bytes it"
                + " stands for) is podlb's when, going out from its innermost frame, a podlb frame comes before OkHttp's"
                + " `RealInterceptorChain.proceed`: what podlb does itself and what it asks OkHttp or the JDK for (a chain"
                + " copy, a map lookup), not the call's own work further down the chain, which plain OkHttp does too, nor"
                + " the response body's socket and okio reads inside `ShortBodies.buffer` (podlb reads a short body a moment"
                + " early, for a retry's sake, into the buffer the caller then reads without a copy; plain OkHttp reads the"
                + " same bytes in `ResponseBody.string()`), while `ShortBodies.buffer`'s own frames stay podlb's. It"
                + " is charged to that innermost podlb frame. Most of a call's CPU is OkHttp's and okio's own (encoding,"
                + " its interceptor chain) and the socket's; plain OkHttp's row is the control (nothing of podlb's).");
        line("");
        line("| picker | client | CPU samples | in podlb's code | top podlb frames (share of CPU samples) | bytes sampled |"
                + " charged to podlb | top podlb allocation sites (share of bytes) |");
        line("|---|---|---|---|---|---|---|---|");
        // Plain OkHttp has no picker: it is recorded once, beside round-robin.
        List<RunResult> results = new ArrayList<>();
        for (String[] run : new String[][] {{"", "roundRobin"}, {"podlbOkHttp$", "leastRequestLatencyAware"}}) {
            results.addAll(new Runner(jmh(EndToEndBenchmark.class.getName() + "." + run[0])
                    .mode(org.openjdk.jmh.annotations.Mode.Throughput).threads(2).param("picker", run[1])
                    .measurementIterations(seconds).measurementTime(TimeValue.seconds(1))
                    .addProfiler(JavaFlightRecorderProfiler.class, "dir=" + folder + ";configName=" + settings).build()).run());
        }
        Map<String, Double> podlbShare = new LinkedHashMap<>();
        for (RunResult r : results) {
            String client = r.getPrimaryResult().getLabel();
            String picker = r.getParams().getParam("picker");
            Path recording;
            try (java.util.stream.Stream<Path> files = Files.walk(folder)) {
                String run = EndToEndBenchmark.class.getName() + "." + client + "-Throughput-picker-" + picker;
                recording = files.filter(f -> f.getParent().getFileName().toString().equals(run)
                        && f.toString().endsWith(".jfr")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("no Flight Recorder recording for " + run + " in " + folder));
            }
            CallProfile profile = CallProfile.read(recording);
            line(String.format(Locale.ROOT, "| %s | %s | %,d | %.1f%% | %s | %,d MiB | %.1f%% | %s |",
                    client.equals("plainOkHttp") ? "—" : picker, client,
                    profile.cpuSamples, 100 * profile.podlbCpuShare(),
                    CallProfile.top(profile.podlbCpuFrames, profile.cpuSamples, 6), profile.allocatedBytes >> 20,
                    100 * profile.podlbAllocationShare(),
                    CallProfile.top(profile.podlbAllocationFrames, profile.allocatedBytes, 6)));
            if (client.equals("podlbOkHttp")) {
                podlbShare.put(picker, profile.podlbCpuShare());
            }
        }
        line("");
        goal("profile", "podlb's own code: " + String.join(", ", podlbShare.entrySet().stream().map(e -> String.format(Locale.ROOT,
                "%.1f%% (%s)", 100 * e.getValue(), e.getKey())).toList()) + " of the calling threads' CPU samples", null);
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
        line("ns per pick through gRPC's `SubchannelPicker` API over READY subchannels (lower is better), 1 thread, ± JMH's"
                + " error, and the"
                + " ratio to gRPC's round_robin in the same run. `GrpcPickBenchmark`. The podlb policy's stream tracer (a"
                + " podlb attempt started and ended per call) is not in this figure.");
        line("");
        Map<String, Map<Integer, Double>> scores = new LinkedHashMap<>();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (RunResult r : new Runner(pickJmh(GrpcPickBenchmark.class.getName()).threads(1).build()).run()) {
            scores.computeIfAbsent(r.getParams().getParam("picker"), k -> new LinkedHashMap<>())
                    .put(Integer.parseInt(r.getParams().getParam("endpoints")), r.getPrimaryResult().getScore());
            errors.put(r.getParams().getParam("picker") + "-" + r.getParams().getParam("endpoints"),
                    r.getPrimaryResult().getScoreError());
        }
        line("| picker | 10 endpoints | 100 |");
        line("|---|---|---|");
        Map<Integer, Double> grpc = scores.get("grpcRoundRobin");
        scores.forEach((picker, bySize) -> {
            StringBuilder row = new StringBuilder("| " + picker + " |");
            for (int size : new int[] {10, 100}) {
                double score = bySize.get(size);
                double error = errors.get(picker + "-" + size); // NaN when too few iterations (--quick) give no interval
                row.append(String.format(Locale.ROOT, Double.isNaN(error) ? " %.1f (%.2f×) |" : " %.1f ± %3$.1f (%2$.2f×) |",
                        score, score / grpc.get(size), error));
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

    /** A goal's figure from this run and whether it was met (null: this run cannot say). */
    private record Goal(String figure, Boolean met) {}

    /** Issue 23's goals in the order the final table lists them: key, then what is asked. */
    private static final String[][] GOALS = {
        {"e2e-rps-1-roundRobin", "end to end, 1 thread, round-robin: ≥ 0.97× plain OkHttp's requests per second"},
        {"e2e-p50-1-roundRobin", "end to end, 1 thread, round-robin: ≤ 5 µs added at the median"},
        {"e2e-rps-1-leastRequestLatencyAware", "end to end, 1 thread, least-request latency-aware: ≥ 0.97× plain OkHttp's requests per second"},
        {"e2e-p50-1-leastRequestLatencyAware", "end to end, 1 thread, least-request latency-aware: ≤ 5 µs added at the median"},
        {"e2e-rps-2-roundRobin", "end to end, 2 threads, round-robin: ≥ 0.97× plain OkHttp's requests per second"},
        {"e2e-p50-2-roundRobin", "end to end, 2 threads, round-robin: ≤ 5 µs added at the median"},
        {"e2e-rps-2-leastRequestLatencyAware", "end to end, 2 threads, least-request latency-aware: ≥ 0.97× plain OkHttp's requests per second"},
        {"e2e-p50-2-leastRequestLatencyAware", "end to end, 2 threads, least-request latency-aware: ≤ 5 µs added at the median"},
        {"bytes-roundRobin", "round-robin: ≤ 300 bytes allocated per call beyond plain OkHttp's"},
        {"bytes-leastRequestLatencyAware", "least-request latency-aware: ≤ 300 bytes allocated per call beyond plain OkHttp's"},
        {"profile", "a Flight Recorder profile of a call: top podlb frames, podlb's share of the CPU (section 4d)"},
        {"attempt-1", "attempt `start` + `end` ≤ 40 ns at 1 thread"},
        {"attempt-2", "attempt `start` + `end` within 2× a per-pod `AtomicLong` pair at 2 threads"},
        {"report-1", "`report` ≤ 2× the per-pod counter at 1 thread"},
        {"rollout-1000", "rolling restart of 1,000 pods, sticky: lag ≤ 100 ms median, ≤ 500 ms max, podlb threads ≤ 5% of the"
                + " rollout's wall time"},
        {"rollout-5000", "rolling restart of 5,000 pods, sticky: lag ≤ 100 ms median, ≤ 500 ms max, podlb threads ≤ 5% of the"
                + " rollout's wall time"},
        {"balance-1000", "sticky balance ≤ 1.10 at 1,000 pods (every slot, section 3b)"},
        {"balance-5000", "sticky balance ≤ 1.15 at 5,000 pods (every slot, section 3b)"},
        {"memory-sticky-5000", "a sticky load balancer ≤ 8 MiB at 5,000 pods"},
        {"memory-table", "memory per load balancer: round-robin, least-request, sticky at 10 / 100 / 1,000 / 5,000 pods, and"
                + " 50 load balancers of 20 pods (section 3)"},
    };

    private void goal(String key, String figure, Boolean met) {
        goals.put(key, new Goal(figure, met));
    }

    /** The final table: each of issue 23's goals with this run's figure, met or not. */
    private void goals() {
        line("## Goals of issue 23");
        line("");
        line("Each goal of issue 23 (\"A call through podlb costs about what a pick costs\") with its figure from this run"
                + (quick ? " (a --quick run: short, not for quoting)" : "") + ".");
        line("");
        line("| goal | this run | met |");
        line("|---|---|---|");
        for (String[] goal : GOALS) {
            Goal measured = goals.get(goal[0]);
            if (measured == null) {
                line("| " + goal[1] + " | not measured in this run | — |");
            } else {
                line("| " + goal[1] + " | " + measured.figure() + " | "
                        + (measured.met() == null ? "—" : measured.met() ? "met" : "**not met**") + " |");
            }
        }
        line("");
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
