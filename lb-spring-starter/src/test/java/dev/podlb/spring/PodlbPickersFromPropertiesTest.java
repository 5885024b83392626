package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.testing.LocalPods;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Every picker of the Java API, with each of its settings, is reachable from properties, written as the README writes it. */
@Timeout(60)
class PodlbPickersFromPropertiesTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PodlbAutoConfiguration.class, PodlbOkHttpAutoConfiguration.class))
            .withPropertyValues("podlb.services.backend.host=" + HOST);

    @Test
    void everyPickerAndItsSettingsReachTheLoadBalancer() {
        assertPicker("round-robin", "podlb.services.backend.picker=round-robin");
        assertPicker("round-robin", "podlb.services.backend.picker=ROUND_ROBIN");
        assertPicker("round-robin with slow start over PT30S (aggression 2.0, from 5.0%)",
                "podlb.services.backend.slow-start.window=30s", "podlb.services.backend.slow-start.aggression=2",
                "podlb.services.backend.slow-start.min-percent=5");
        assertPicker("sticky", "podlb.services.backend.sticky.header=X-Session-Id");
        assertPicker("sticky with load bounded at (1 + 0.25) x the mean", "podlb.services.backend.picker=sticky",
                "podlb.services.backend.sticky.cookie=session", "podlb.services.backend.sticky.load-bound=0.25");
        assertPicker("sticky with AffinityMemory", "podlb.services.backend.sticky.learn-cookie=JSESSIONID",
                "podlb.services.backend.sticky.session-memory.maximum-size=1000",
                "podlb.services.backend.sticky.session-memory.idle-expiry=10m");
        assertPicker("least-request (2 choices)", "podlb.services.backend.picker=least-request");
        assertPicker("least-request (3 choices, latency-aware: Peak-EWMA decaying over PT5S, failure penalty x4.0)"
                        + " with slow start over PT1M",
                "podlb.services.backend.picker=least-request", "podlb.services.backend.least-request.choices=3",
                "podlb.services.backend.least-request.latency-aware=true",
                "podlb.services.backend.least-request.latency-decay=5s",
                "podlb.services.backend.least-request.failure-penalty=4", "podlb.services.backend.slow-start.window=1m");
    }

    @Test
    void leastRequestFromPropertiesSpreadsCallsOverThePods() {
        String[] ips = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
        try (LocalPods pods = new LocalPods(ips)) {
            runner.withPropertyValues(target(pods, ips), "podlb.services.backend.picker=least-request",
                    "podlb.services.backend.least-request.latency-aware=true").run(context -> {
                context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
                OkHttpClient client = context.getBean(OkHttpClient.class);
                Map<String, Integer> answers = new HashMap<>();
                for (int i = 0; i < 60; i++) {
                    answers.merge(get(client, "http://" + HOST + ":" + pods.port() + "/"), 1, Integer::sum);
                }
                assertThat(answers).containsOnlyKeys(ips);
            });
        }
    }

    @Test
    void aPinToAnUnavailablePodUsesAnyWhenSoConfigured() {
        String[] ips = {"127.0.0.2", "127.0.0.3"};
        try (LocalPods pods = new LocalPods(ips)) {
            runner.withPropertyValues(target(pods, ips), "podlb.services.backend.pin-header=X-Pod",
                    "podlb.services.backend.when-pin-unavailable=use-any").run(context -> {
                context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
                OkHttpClient client = context.getBean(OkHttpClient.class);
                Request pinnedAway = new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/")
                        .header("X-Pod", "127.0.0.9:" + pods.port()).build();
                try (Response response = client.newCall(pinnedAway).execute()) {
                    assertThat(response.body().string()).isIn((Object[]) ips);
                }
            });
        }
    }

    @Test
    void roundRobinKeepsEachPodsLatencyOnlyWithRecordLatency() {
        try (LocalPods pods = new LocalPods("127.0.0.2")) {
            assertThat(latencyAfterOneCall(pods, "podlb.services.backend.record-latency=true")).isPositive();
            assertThat(latencyAfterOneCall(pods, "podlb.services.backend.record-latency=false")).isZero();
            assertThat(latencyAfterOneCall(pods)).isZero();
        }
    }

    /** The latency figure of the one pod at 127.0.0.2 after a round-robin call to it answered. */
    private long latencyAfterOneCall(LocalPods pods, String... properties) {
        long[] latency = new long[1];
        runner.withPropertyValues(target(pods, "127.0.0.2"), "podlb.services.backend.picker=round-robin")
                .withPropertyValues(properties).run(context -> {
                    assertThat(context).hasNotFailed();
                    LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
                    lb.awaitReady(Duration.ofSeconds(10));
                    OkHttpClient client = context.getBean(OkHttpClient.class);
                    assertThat(get(client, "http://" + HOST + ":" + pods.port() + "/")).isEqualTo("127.0.0.2");
                    latency[0] = lb.stats(Endpoint.of("127.0.0.2", pods.port())).latencyNanos();
                });
        return latency[0];
    }

    private void assertPicker(String expected, String... properties) {
        runner.withPropertyValues("podlb.services.backend.target=static:///127.0.0.2:8080,127.0.0.3:8080")
                .withPropertyValues(properties).run(context -> {
                    assertThat(context).hasNotFailed();
                    LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
                    assertThat(lb.toString()).contains("picker=" + expected);
                });
    }

    private static String target(LocalPods pods, String... ips) {
        StringBuilder target = new StringBuilder("podlb.services.backend.target=static:///");
        for (int i = 0; i < ips.length; i++) {
            target.append(i > 0 ? "," : "").append(ips[i]).append(':').append(pods.port());
        }
        return target.toString();
    }

    private static String get(OkHttpClient client, String url) throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
            return response.body().string();
        }
    }
}
