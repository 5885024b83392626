package dev.podlb.benchmarks.fleet;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Concurrent callers, each sending one call after another through one OkHttp client and a
 * {@link Balancer}, recording each call's latency (choice, call and end together) once the
 * warm-up is over.
 */
public final class Callers {
    private final OkHttpClient client;

    public Callers() {
        // Room for every caller to keep a connection to every pod, so no call waits for a connect.
        client = new OkHttpClient.Builder().connectionPool(new ConnectionPool(1000, 5, TimeUnit.MINUTES))
                .readTimeout(Duration.ofSeconds(30)).build();
    }

    /** What one run measured. */
    public static final class Result {
        /** Call latencies in nanoseconds, sorted. */
        public final long[] latencies;
        /** Calls per pod. */
        public final long[] perPod;
        public final double seconds;
        public final long errors;

        Result(long[] latencies, long[] perPod, double seconds, long errors) {
            this.latencies = latencies;
            this.perPod = perPod;
            this.seconds = seconds;
            this.errors = errors;
        }

        public double percentileMillis(double p) {
            int i = (int) Math.min(latencies.length - 1, Math.ceil(p / 100 * latencies.length) - 1);
            return latencies[Math.max(0, i)] / 1e6;
        }

        public double perSecond() {
            return latencies.length / seconds;
        }

        public double share(int pod) {
            return (double) perPod[pod] / Arrays.stream(perPod).sum();
        }
    }

    /**
     * Runs {@code callers} threads through {@code balancer} for {@code warmUp} and then
     * {@code measure}; {@code onPick}, when given, hears the pod of each call as it starts, warm-up
     * included, with the time since the measurement began (negative before).
     */
    public Result run(Balancer balancer, int callers, int pods, Duration warmUp, Duration measure,
                      PickListener onPick) throws InterruptedException {
        client.connectionPool().evictAll();
        long start = System.nanoTime();
        long measureFrom = start + warmUp.toNanos();
        long until = measureFrom + measure.toNanos();
        AtomicLongArray perPod = new AtomicLongArray(pods);
        List<long[]> recorded = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long[] errors = new long[callers];
        int[] counts = new int[callers];
        for (int c = 0; c < callers; c++) {
            long[][] own = {new long[1 << 14]};
            int caller = c;
            Thread thread = new Thread(() -> {
                while (true) {
                    long begin = System.nanoTime();
                    if (begin >= until) {
                        break;
                    }
                    Balancer.Call call = balancer.start();
                    if (onPick != null) {
                        onPick.picked(call.pod(), begin - measureFrom);
                    }
                    boolean ok = send(call);
                    long end = System.nanoTime();
                    if (begin >= measureFrom) {
                        perPod.incrementAndGet(call.pod());
                        if (!ok) {
                            errors[caller]++;
                        }
                        if (counts[caller] == own[0].length) {
                            own[0] = Arrays.copyOf(own[0], own[0].length * 2);
                        }
                        own[0][counts[caller]++] = end - begin;
                    }
                }
                synchronized (recorded) {
                    recorded.add(Arrays.copyOf(own[0], counts[caller]));
                }
            }, "caller-" + c);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long[] all = recorded.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        long[] calls = new long[pods];
        for (int i = 0; i < pods; i++) {
            calls[i] = perPod.get(i);
        }
        return new Result(all, calls, measure.toNanos() / 1e9, Arrays.stream(errors).sum());
    }

    private boolean send(Balancer.Call call) {
        Request request = new Request.Builder().url(call.url()).build();
        try (Response response = client.newCall(request).execute()) {
            response.body().string();
            call.end(response.code());
            return response.code() < 500;
        } catch (IOException e) {
            call.fail(e);
            return false;
        }
    }

    /** Hears the pod of each call as it starts. */
    @FunctionalInterface
    public interface PickListener {
        /** Any caller thread; {@code sinceMeasureNanos} is negative during the warm-up. */
        void picked(int pod, long sinceMeasureNanos);
    }

    public void close() {
        client.connectionPool().evictAll();
        client.dispatcher().executorService().shutdown();
    }
}
