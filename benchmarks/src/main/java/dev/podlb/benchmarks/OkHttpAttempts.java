package dev.podlb.benchmarks;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.testing.NoDelayServerSocketFactory;
import dev.podlb.okhttp.Backoff;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import dev.podlb.okhttp.RetryBudget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * What podlb's OkHttp attempts cost in connections and in load on the pods — counts, not timings,
 * so not JMH: connections opened per 10,000 calls over 10 and 200 pods; requests reaching the pods
 * per call when every pod answers 503, with the default retry budget and without one; and, to
 * choose the default backoff, failed calls and latency when one pod, or every pod, answers 503 for
 * 100 ms of every second.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests &amp;&amp; java -cp benchmarks/target/benchmarks.jar dev.podlb.benchmarks.OkHttpAttempts
 * </pre>
 * {@code --quick} shortens every run (for trying the harness, not for quoting).
 */
public final class OkHttpAttempts {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final int THREADS = 2;

    private final boolean quick;
    private final StringBuilder out = new StringBuilder();

    private OkHttpAttempts(boolean quick) {
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        System.out.print(tables(List.of(args).contains("--quick")));
    }

    /** Every table, as markdown with third-level headings, for {@code BENCHMARKS.md}. */
    static String tables(boolean quick) throws Exception {
        OkHttpAttempts report = new OkHttpAttempts(quick);
        report.connections();
        report.amplification();
        report.backoff();
        return report.out.toString().replace("\n## ", "\n### ").replaceFirst("^## ", "### ");
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    /** Pods on 127.0.1.1 and up, one port each, answering as {@code failing} says at the moment of each request. */
    private static final class Pods implements AutoCloseable {
        final List<MockWebServer> servers = new ArrayList<>();
        final LongAdder requests = new LongAdder();
        volatile IntPredicate failing = pod -> false;

        Pods(int count) throws IOException {
            for (int i = 0; i < count; i++) {
                int pod = i;
                MockWebServer server = new MockWebServer();
                server.setServerSocketFactory(new NoDelayServerSocketFactory());
                server.setDispatcher(new Dispatcher() {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                        requests.increment();
                        return failing.test(pod) ? new MockResponse.Builder().code(503).body("busy").build()
                                : new MockResponse.Builder().body("ok").build();
                    }
                });
                server.start(InetAddress.getByName("127.0.1." + (i + 1)), 0);
                servers.add(server);
            }
        }

        String target() {
            StringBuilder target = new StringBuilder("static:///");
            for (MockWebServer server : servers) {
                target.append(target.length() > 10 ? "," : "").append(server.getHostName()).append(':').append(server.getPort());
            }
            return target.toString();
        }

        @Override
        public void close() {
            servers.forEach(MockWebServer::close);
        }
    }

    /** What {@code threads} threads making {@code calls} calls in all saw. */
    private record Run(int calls, int failed, long[] nanos, long connects) {
        double percentileMillis(double p) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] / 1e6;
        }
    }

    private static Run run(BalancedService service, int calls) throws InterruptedException {
        return run(service, calls, Duration.ofHours(1));
    }

    /** {@code calls} calls, or as many as fit in {@code duration}. */
    private static Run run(BalancedService service, int calls, Duration duration) throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        LongAdder connects = new LongAdder();
        LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder().service(service).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient client = interceptor.newClientBuilder().eventListener(new EventListener() {
            @Override
            public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
                connects.increment();
            }
        }).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<long[]> perThread = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long[][] mine = {new long[1024]};
            int[] count = {0};
            Thread worker = new Thread(() -> {
                while (next.getAndIncrement() < calls && System.nanoTime() < deadline) {
                    long start = System.nanoTime();
                    try (Response response = client.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute()) {
                        response.body().string();
                        if (!response.isSuccessful()) {
                            failed.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                    if (count[0] == mine[0].length) {
                        mine[0] = Arrays.copyOf(mine[0], count[0] * 2);
                    }
                    mine[0][count[0]++] = System.nanoTime() - start;
                }
                synchronized (perThread) {
                    perThread.add(Arrays.copyOf(mine[0], count[0]));
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        interceptor.close();
        client.dispatcher().executorService().shutdown();
        long[] nanos = perThread.stream().flatMapToLong(Arrays::stream).toArray();
        return new Run(nanos.length, failed.get(), nanos, connects.sum());
    }

    private static BalancedService.Builder service(Pods pods) {
        return BalancedService.builder(HOST).target(pods.target());
    }

    private void connections() throws Exception {
        int calls = quick ? 2_000 : 10_000;
        line("## Connections opened per " + String.format(Locale.ROOT, "%,d", calls) + " calls");
        line("");
        line("Round-robin GETs on " + THREADS + " threads, every pod answering at once; connections counted by the"
                + " client's `EventListener.connectStart`. podlb keeps a pool per pod (5 idle each by default).");
        line("");
        line("| pods | connections opened | per pod |");
        line("|---|---|---|");
        for (int count : new int[] {10, 200}) {
            try (Pods pods = new Pods(count)) {
                Run r = run(service(pods).build(), calls);
                line(String.format(Locale.ROOT, "| %d | %d | %.2f |", count, r.connects, r.connects / (double) count));
            }
        }
        line("");
    }

    private void amplification() throws Exception {
        int calls = quick ? 2_000 : 10_000;
        line("## Requests reaching the pods per call when every pod answers 503");
        line("");
        line("3 pods, `retryOnStatus(503)`, `maxAttempts(3)`, ejection off, " + String.format(Locale.ROOT, "%,d", calls)
                + " GETs on " + THREADS + " threads.");
        line("");
        line("| retry budget | requests per call | failed calls |");
        line("|---|---|---|");
        for (RetryBudget budget : new RetryBudget[] {RetryBudget.unlimited(), RetryBudget.defaults()}) {
            try (Pods pods = new Pods(3)) {
                pods.failing = pod -> true;
                Run r = run(service(pods).retryOnStatus(503).ejection(EjectionPolicy.disabled()).retryBudget(budget).build(),
                        calls);
                line(String.format(Locale.ROOT, "| %s | %.3f | %d |", budget, pods.requests.sum() / (double) r.calls, r.failed));
            }
        }
        line("");
    }

    private void backoff() throws Exception {
        Duration each = quick ? Duration.ofSeconds(3) : Duration.ofSeconds(20);
        line("## Backoff: one pod, or every pod, answering 503 for 100 ms of every second");
        line("");
        line("3 pods, `retryOnStatus(503)`, `maxAttempts(3)`, ejection off, default retry budget; GETs on " + THREADS
                + " threads for " + each.toSeconds() + " s per row.");
        line("");
        line("| 503s from | backoff | calls | failed calls | p50 ms | p99 ms | p99.9 ms |");
        line("|---|---|---|---|---|---|---|");
        Backoff[] backoffs = {Backoff.none(), Backoff.jittered(Duration.ofMillis(10), Duration.ofMillis(100)),
                Backoff.jittered(Duration.ofMillis(25), Duration.ofMillis(250))};
        for (boolean everyPod : new boolean[] {false, true}) {
            for (Backoff backoff : backoffs) {
                try (Pods pods = new Pods(3)) {
                    pods.failing = pod -> (everyPod || pod == 0) && System.nanoTime() / 1_000_000 % 1000 < 100;
                    Run r = run(service(pods).retryOnStatus(503).ejection(EjectionPolicy.disabled()).backoff(backoff).build(),
                            Integer.MAX_VALUE / 4, each);
                    line(String.format(Locale.ROOT, "| %s | %s | %,d | %d (%.2f%%) | %.2f | %.2f | %.2f |",
                            everyPod ? "every pod" : "one pod", backoff, r.calls, r.failed, 100.0 * r.failed / r.calls,
                            r.percentileMillis(0.5), r.percentileMillis(0.99), r.percentileMillis(0.999)));
                }
            }
        }
        line("");
    }
}
