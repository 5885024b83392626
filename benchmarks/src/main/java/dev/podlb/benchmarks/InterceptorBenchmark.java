package dev.podlb.benchmarks;

import dev.podlb.core.pick.Pickers;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What podlb's interceptor costs a call on the calling thread, without the network: an OkHttp
 * call answered by an application interceptor placed after podlb's (a 2-byte body, as
 * {@link EndToEndBenchmark}'s server answers), with podlb's interceptor and without it. The
 * difference is podlb's work around OkHttp's chain (the pick, the attempt, the chain copies that
 * route it to its pod, the retry budget's deposit) and the extra link of the chain; the wire
 * events of a real connection (the stale-connection bookkeeping, the released connection's pod)
 * are not in it, since no connection is made. No call waits on a socket here, so podlb's few
 * hundred nanoseconds are not lost in a call of tens of microseconds as end to end; on a busy
 * machine, preemption still widens JMH's error, which counts wall time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InterceptorBenchmark {
    @Param({"roundRobin", "leastRequestLatencyAware"})
    public String picker;

    private LoadBalancingInterceptor interceptor;
    private OkHttpClient plain;
    private OkHttpClient balanced;
    private Request request;

    @Setup
    public void start() {
        Interceptor answer = chain -> {
            Request sent = chain.request();
            Response wire = new Response.Builder().request(sent).protocol(Protocol.HTTP_1_1).code(200).message("OK").build();
            return wire.newBuilder().body(ResponseBody.create("ok", null)).networkResponse(wire).build();
        };
        plain = new OkHttpClient.Builder().addInterceptor(answer).build();
        interceptor = LoadBalancingInterceptor.builder()
                .service(BalancedService.builder("backend").target("static:///127.0.0.2:8080")
                        .picker(picker.equals("roundRobin") ? Pickers.roundRobin() : Pickers.leastRequest().latencyAware(true))
                        .build())
                .connectionsPerPod(64, Duration.ofMinutes(5))
                .build();
        balanced = new OkHttpClient.Builder().addInterceptor(interceptor).addInterceptor(answer).build();
        request = new Request.Builder().url("http://backend:8080/").build();
    }

    @TearDown
    public void stop() {
        interceptor.close();
        plain.dispatcher().executorService().shutdown();
        balanced.dispatcher().executorService().shutdown();
    }

    @Benchmark
    public String plainOkHttp() throws IOException {
        return call(plain);
    }

    @Benchmark
    public String podlbOkHttp() throws IOException {
        return call(balanced);
    }

    private String call(OkHttpClient client) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            return response.body().string();
        }
    }
}
