package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.Pickers;
import dev.podlb.testing.LocalPods;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An attempt lasts until its response body is done: a body cut in the middle is a failure of the
 * pod that sent it, and a body being read counts among the pod's requests in flight until it is
 * closed — or, when the application never closes it, until it is found unreachable.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class StreamingOutcomesTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String CUTTING = "127.0.0.2";

    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private final RecordingListener heard = new RecordingListener();

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        if (pods != null) {
            pods.close();
        }
    }

    private OkHttpClient client(BalancedService.Builder service) {
        interceptor = LoadBalancingInterceptor.builder().service(service.build()).listener(heard).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        return new OkHttpClient.Builder().addInterceptor(interceptor).build();
    }

    private Request get() {
        return new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/stream").build();
    }

    private Endpoint pod(String ip) {
        return interceptor.loadBalancer(HOST).endpoints().endpoints().stream()
                .filter(e -> e.address().getHostAddress().equals(ip)).findFirst().orElseThrow();
    }

    @Test
    void chunkedBodiesCutInTheMiddleEjectThePodThatCutThem() throws Exception {
        AtomicInteger cut = new AtomicInteger();
        pods = new LocalPods(CUTTING, "127.0.0.3");
        pods.behaviour(ip -> {
            MockResponse.Builder response = new MockResponse.Builder().chunkedBody("chunk ".repeat(20_000), 1024);
            if (ip.equals(CUTTING)) {
                cut.incrementAndGet();
                response.onResponseBody(new SocketEffect.CloseSocket());
            }
            return response.build();
        });
        OkHttpClient client = client(BalancedService.builder(HOST)
                .target("static:///" + CUTTING + ":" + pods.port() + ",127.0.0.3:" + pods.port())
                .picker(Pickers.roundRobin())
                .ejection(EjectionPolicy.builder().consecutiveFailures(10).baseEjectionTime(Duration.ofMinutes(5)).build())
                .customize(lb -> lb.executor(Runnable::run)));
        LoadBalancer lb = interceptor.loadBalancer(HOST);

        int failedReads = 0;
        for (int i = 0; i < 40 && !lb.isEjected(pod(CUTTING)); i++) {
            try (Response response = client.newCall(get()).execute()) {
                assertThat(response.code()).isEqualTo(200);
                response.body().string();
            } catch (IOException e) {
                failedReads++;
            }
        }

        assertThat(cut.get()).as("bodies cut").isEqualTo(10);
        assertThat(failedReads).as("bodies the caller could not read").isEqualTo(10);
        assertThat(lb.isEjected(pod(CUTTING))).as("the cutting pod is ejected").isTrue();
        assertThat(heard.chargesTo(CUTTING)).hasSize(10).allMatch(c -> c.outcome().kind() == Outcome.Kind.IO_FAILURE);
        assertThat(heard.chargesTo("127.0.0.3")).isNotEmpty().allMatch(c -> c.outcome().kind() == Outcome.Kind.RESPONSE);
    }

    @Test
    void aBodyBeingReadCountsInFlightUntilItIsClosed() throws Exception {
        pods = new LocalPods(CUTTING);
        pods.behaviour(ip -> new MockResponse.Builder().chunkedBody("chunk ".repeat(20_000), 1024).build());
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///" + CUTTING + ":" + pods.port()));
        LoadBalancer lb = interceptor.loadBalancer(HOST);

        try (Response response = client.newCall(get()).execute()) {
            response.body().source().require(1024);
            assertThat(lb.stats(pod(CUTTING)).inFlight()).as("in flight while the body is read").isEqualTo(1);
            assertThat(heard.charges).as("outcomes told before the body is done").isEmpty();
            response.body().string();
        }

        assertThat(lb.stats(pod(CUTTING)).inFlight()).as("in flight once the body is done").isZero();
        assertThat(heard.charges).extracting(RecordingListener.Charge::toString).containsExactly(CUTTING + " RESPONSE 200");
    }

    @Test
    void aBodyNeverClosedStopsCountingInFlightOnceUnreachable() throws Exception {
        pods = new LocalPods(CUTTING);
        pods.behaviour(ip -> new MockResponse.Builder().chunkedBody("chunk ".repeat(20_000), 1024).build());
        OkHttpClient client = client(BalancedService.builder(HOST).target("static:///" + CUTTING + ":" + pods.port()));
        LoadBalancer lb = interceptor.loadBalancer(HOST);

        leak(client);
        assertThat(lb.stats(pod(CUTTING)).inFlight()).as("in flight while the response is held").isEqualTo(1);

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            System.gc();
            return lb.stats(pod(CUTTING)).inFlight() == 0;
        });
        assertThat(heard.charges).as("a leaked body is charged to no pod").isEmpty();
    }

    /** Starts reading a body, then drops the response without closing it. */
    private void leak(OkHttpClient client) throws IOException {
        Response response = client.newCall(get()).execute();
        response.body().source().require(1024);
    }
}
