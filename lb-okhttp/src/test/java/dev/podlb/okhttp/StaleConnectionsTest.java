package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.health.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection the pod closed while it sat idle in the pool is no failure: a request that fails
 * on it is sent on a fresh connection to the same pod, and the pod receives it once. HTTP/1.1
 * pods on 127.0.0.2–3 closing connections idle for 200 ms, as nginx's keep-alive timeout does.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class StaleConnectionsTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final List<IdleClosingPod> pods = new ArrayList<>();
    private final RecordingListener heard = new RecordingListener();
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() throws Exception {
        if (interceptor != null) {
            interceptor.close();
        }
        for (IdleClosingPod pod : pods) {
            pod.close();
        }
    }

    @Test
    void postsAfterAnIdlePauseAllSucceedAndNoneIsReceivedTwice() throws Exception {
        IdleClosingPod a = new IdleClosingPod("127.0.0.2", 200);
        IdleClosingPod b = new IdleClosingPod("127.0.0.3", 200);
        pods.add(a);
        pods.add(b);
        interceptor = LoadBalancingInterceptor.builder().service(BalancedService.builder(HOST)
                .target("static:///127.0.0.2:" + a.port() + ",127.0.0.3:" + b.port()).build()).listener(heard).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();

        int sent = 0;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                String order = "order " + round + "-" + i;
                Request post = new Request.Builder().url("http://" + HOST + "/orders")
                        .post(RequestBody.create(order, MediaType.get("text/plain"))).build();
                try (Response response = client.newCall(post).execute()) {
                    assertThat(response.body().string()).isEqualTo("taken " + order);
                }
                sent++;
            }
            // Real idle time on real sockets, past podlb's 1 s check: the pods close the pooled connections meanwhile.
            Thread.sleep(1_300);
        }

        assertThat(a.idleCloses.get() + b.idleCloses.get()).as("idle connections the pods closed").isGreaterThanOrEqualTo(4);
        AtomicInteger received = new AtomicInteger();
        for (IdleClosingPod pod : pods) {
            pod.received.forEach((order, times) -> {
                assertThat(times.get()).as("times " + order + " was received").isEqualTo(1);
                received.incrementAndGet();
            });
        }
        assertThat(received.get()).as("orders received").isEqualTo(sent);
        assertThat(heard.charges).as("attempts charged").allMatch(c -> c.outcome().kind() == Outcome.Kind.RESPONSE);
    }
}
