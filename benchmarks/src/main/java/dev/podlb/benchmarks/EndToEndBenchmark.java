package dev.podlb.benchmarks;

import dev.podlb.testing.NoDelayServerSocketFactory;
import dev.podlb.core.pick.Pickers;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A GET through OkHttp with podlb's interceptor against the same call through plain OkHttp, to the
 * same local server on 127.0.0.2, in the same run: what podlb adds to a real call. Both clients
 * keep the same number of idle connections, so the comparison is of the interceptor alone. The
 * service's picker is round-robin or least-request with latency awareness, the two whose attempt
 * paths differ most (the latter reads each pod's latency average, which every attempt's end feeds).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class EndToEndBenchmark {
    @Param({"roundRobin", "leastRequestLatencyAware"})
    public String picker;

    private MockWebServer pod;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient plain;
    private OkHttpClient balanced;
    private Request direct;
    private Request viaService;

    @Setup(Level.Trial)
    public void start() throws IOException {
        pod = new MockWebServer();
        pod.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().body("ok").build();
            }
        });
        // Without TCP_NODELAY on the server's sockets, Nagle's algorithm and delayed ACKs add 40 ms to
        // every response, and both clients would measure nothing but that.
        pod.setServerSocketFactory(new NoDelayServerSocketFactory());
        pod.start(InetAddress.getByName("127.0.0.2"), 0);
        ConnectionPool pool = new ConnectionPool(64, 5, TimeUnit.MINUTES);
        plain = new OkHttpClient.Builder().connectionPool(pool).build();
        interceptor = LoadBalancingInterceptor.builder()
                .service(BalancedService.builder("backend").target("static:///127.0.0.2:" + pod.getPort())
                        .picker(picker.equals("roundRobin") ? Pickers.roundRobin() : Pickers.leastRequest().latencyAware(true))
                        .build())
                .connectionsPerPod(64, Duration.ofMinutes(5))
                .build();
        balanced = new OkHttpClient.Builder().addInterceptor(interceptor).build();
        direct = new Request.Builder().url("http://127.0.0.2:" + pod.getPort() + "/").build();
        viaService = new Request.Builder().url("http://backend:" + pod.getPort() + "/").build();
    }

    @TearDown(Level.Trial)
    public void stop() {
        interceptor.close();
        plain.connectionPool().evictAll();
        plain.dispatcher().executorService().shutdown();
        balanced.dispatcher().executorService().shutdown();
        pod.close();
    }

    @Benchmark
    public String plainOkHttp() throws IOException {
        return call(plain, direct);
    }

    @Benchmark
    public String podlbOkHttp() throws IOException {
        return call(balanced, viaService);
    }

    private static String call(OkHttpClient client, Request request) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            return response.body().string();
        }
    }
}
