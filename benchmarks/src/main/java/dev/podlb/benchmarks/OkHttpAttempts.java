package dev.podlb.benchmarks;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.testing.NoDelayServerSocketFactory;
import dev.podlb.okhttp.Backoff;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.Hedging;
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
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
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
 * {@code --quick} shortens every run (for trying the harness, not for quoting);
 * {@code --http2-retries} and {@code --hedging} run only those tables (each within 3 minutes).
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
        boolean quick = List.of(args).contains("--quick");
        if (List.of(args).contains("--http2-retries") || List.of(args).contains("--hedging")) {
            OkHttpAttempts report = new OkHttpAttempts(quick);
            if (List.of(args).contains("--http2-retries")) {
                report.http2Retries();
            }
            if (List.of(args).contains("--hedging")) {
                report.hedging();
            }
            System.out.print(report.out.toString().replace("\n## ", "\n### ").replaceFirst("^## ", "### "));
            return;
        }
        System.out.print(tables(quick));
    }

    /** Every table, as markdown with third-level headings, for {@code BENCHMARKS.md}. */
    static String tables(boolean quick) throws Exception {
        OkHttpAttempts report = new OkHttpAttempts(quick);
        report.connections();
        report.amplification();
        report.backoff();
        report.http2Retries();
        report.hedging();
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
        /** When set, how pod {@code i} answers instead. */
        volatile IntFunction<MockResponse> answer;

        Pods(int count) throws IOException {
            this(count, null);
        }

        Pods(int count, List<Protocol> protocols) throws IOException {
            for (int i = 0; i < count; i++) {
                int pod = i;
                MockWebServer server = new MockWebServer();
                server.setServerSocketFactory(new NoDelayServerSocketFactory());
                if (protocols != null) {
                    server.setProtocols(protocols);
                }
                server.setDispatcher(new Dispatcher() {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                        requests.increment();
                        IntFunction<MockResponse> custom = answer;
                        if (custom != null) {
                            return custom.apply(pod);
                        }
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
        return run(service, calls, duration, null);
    }

    /** As above, over HTTP/2 with prior knowledge when {@code protocols} says so. */
    private static Run run(BalancedService service, int calls, Duration duration, List<Protocol> protocols)
            throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        LongAdder connects = new LongAdder();
        LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder().service(service).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient.Builder builder = interceptor.newClientBuilder().eventListener(new EventListener() {
            @Override
            public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
                connects.increment();
            }
        });
        if (protocols != null) {
            builder.protocols(protocols);
        }
        OkHttpClient client = builder.build();
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

    private void http2Retries() throws Exception {
        int calls = quick ? 2_000 : 10_000;
        line("## HTTP/2: connections opened per " + String.format(Locale.ROOT, "%,d", calls) + " calls while a pod answers 503");
        line("");
        line("3 pods speaking HTTP/2 (prior knowledge), one of them answering 503 to 20% of its requests at random;"
                + " `retryOnStatus(503)`, ejection off, `Backoff.none()`, GETs on " + THREADS + " threads; connections counted"
                + " by the client's `EventListener.connectStart` (the retries' calls included).");
        line("");
        line("| calls | 503s answered (each retried) | failed calls | connections opened | per pod |");
        line("|---|---|---|---|---|");
        try (Pods pods = new Pods(3, List.of(Protocol.H2_PRIOR_KNOWLEDGE))) {
            LongAdder unavailable = new LongAdder();
            pods.answer = pod -> {
                if (pod == 0 && java.util.concurrent.ThreadLocalRandom.current().nextInt(5) == 0) {
                    unavailable.increment();
                    return new MockResponse.Builder().code(503).body("busy").build();
                }
                return new MockResponse.Builder().body("ok").build();
            };
            Run r = run(service(pods).retryOnStatus(503).ejection(EjectionPolicy.disabled()).backoff(Backoff.none())
                    .retryBudget(RetryBudget.unlimited()).build(), calls, Duration.ofHours(1), List.of(Protocol.H2_PRIOR_KNOWLEDGE));
            line(String.format(Locale.ROOT, "| %,d | %,d | %d | %d | %.2f |", r.calls, unavailable.sum(), r.failed, r.connects,
                    r.connects / 3.0));
        }
        line("");
    }

    /**
     * Calls sent at a fixed rate whatever the answers ({@code enqueue}), each timed from the moment
     * it was due, so that a pause shows in the tail as callers would see it; a closed loop of a few
     * threads would send fewer calls while they wait and hide it.
     */
    private static Run openLoop(BalancedService service, int perSecond, Duration duration) throws InterruptedException {
        LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder().service(service).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient client = interceptor.newClientBuilder().build();
        client.dispatcher().setMaxRequests(1024);
        client.dispatcher().setMaxRequestsPerHost(1024);
        int warmUp = perSecond; // the first second opens connections and warms the JIT: not timed
        int calls = (int) (perSecond * (duration.toSeconds() + 1));
        long[] nanos = new long[calls];
        AtomicInteger failed = new AtomicInteger();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(calls);
        long interval = 1_000_000_000L / perSecond;
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            int index = i;
            client.newCall(new Request.Builder().url("http://" + HOST + "/").build()).enqueue(new okhttp3.Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                    failed.incrementAndGet();
                    nanos[index] = System.nanoTime() - due;
                    done.countDown();
                }

                @Override
                public void onResponse(Call call, Response response) {
                    try (response) {
                        response.body().string();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                    nanos[index] = System.nanoTime() - due;
                    done.countDown();
                }
            });
        }
        done.await();
        interceptor.close();
        client.dispatcher().executorService().shutdown();
        return new Run(calls - warmUp, failed.get(), Arrays.copyOfRange(nanos, warmUp, calls), 0);
    }

    private void hedging() throws Exception {
        Duration each = quick ? Duration.ofSeconds(5) : Duration.ofSeconds(20);
        int perSecond = 1000;
        line("## Hedging: one pod pausing 200 ms every second");
        line("");
        line("3 pods; pod 1 holds every request that arrives in the first 200 ms of each second until that pause ends"
                + " (a GC pause, say); the others answer at once. Round-robin GETs sent at " + perSecond + " a second for "
                + each.toSeconds() + " s per row after a second of warm-up (`enqueue`, each timed from the moment it was due),"
                + " default retry budget. Extra requests: requests the pods received beyond one per call (warm-up included).");
        line("");
        line("| pods | hedging | calls | failed | p50 ms | p99 ms | p99.9 ms | extra requests |");
        line("|---|---|---|---|---|---|---|---|");
        Hedging[] hedgings = {null, Hedging.after(Duration.ofMillis(5)), Hedging.atPercentile(95, Duration.ofMillis(5)),
                Hedging.atPercentile(99, Duration.ofMillis(5))};
        for (boolean pausing : new boolean[] {false, true}) {
            for (Hedging hedging : pausing ? hedgings : new Hedging[] {null}) {
                try (Pods pods = new Pods(3)) {
                    pods.answer = pod -> {
                        long inSecond = System.nanoTime() / 1_000_000 % 1000;
                        MockResponse.Builder ok = new MockResponse.Builder().body("ok");
                        return pausing && pod == 0 && inSecond < 200
                                ? ok.headersDelay(200 - inSecond, TimeUnit.MILLISECONDS).build() : ok.build();
                    };
                    BalancedService.Builder service = service(pods).ejection(EjectionPolicy.disabled());
                    if (hedging != null) {
                        service.hedging(hedging);
                    }
                    Run r = openLoop(service.build(), perSecond, each);
                    line(String.format(Locale.ROOT, "| %s | %s | %,d | %d | %.2f | %.2f | %.2f | %.2f%% |",
                            pausing ? "one pausing" : "all healthy", hedging == null ? "off" : hedging, r.calls, r.failed,
                            r.percentileMillis(0.5), r.percentileMillis(0.99), r.percentileMillis(0.999),
                            100.0 * (pods.requests.sum() - r.calls - perSecond) / (r.calls + perSecond)));
                }
            }
        }
        line("");
    }
}
