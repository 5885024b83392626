package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.okhttp.NoPodAvailableException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

@Timeout(60)
class PodlbMetricsTest {
    private LoopbackPods pods;
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws IOException {
        pods = new LoopbackPods().start("127.0.0.2", "127.0.0.3");
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, PodlbMetricsAutoConfiguration.class,
                        PodlbAutoConfiguration.class,
                        PodlbOkHttpAutoConfiguration.class))
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("podlb.services.backend.target=" + pods.staticTarget(),
                        "podlb.routes[0].host=myapp", "podlb.routes[0].paths[0].path=/api",
                        "podlb.routes[0].paths[0].service=backend");
    }

    @AfterEach
    void stop() {
        pods.close();
    }

    private static int get(AssertableApplicationContext context, String url) throws IOException {
        try (Response response = context.getBean(OkHttpClient.class).newCall(new Request.Builder().url(url).build()).execute()) {
            return response.code();
        }
    }

    private static double count(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private static long calls(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).timer().count();
    }

    @Test
    void everyMeterExistsFromStartUpAtZero() {
        runner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            for (String outcome : PodlbMetrics.CALL_OUTCOMES) {
                assertThat(calls(registry, "podlb.calls", "service", "backend", "outcome", outcome)).isZero();
            }
            assertThat(calls(registry, "podlb.calls", "service", "myapp", "outcome", "no_route")).isZero();
            for (String outcome : PodlbMetrics.ATTEMPT_OUTCOMES) {
                assertThat(calls(registry, "podlb.attempts", "service", "backend", "outcome", outcome)).isZero();
            }
            for (String counter : new String[] {"podlb.retries", "podlb.retry.budget.exhausted", "podlb.ejections"}) {
                assertThat(count(registry, counter, "service", "backend")).as(counter).isZero();
            }
            assertThat(count(registry, "podlb.resolutions", "service", "backend", "result", "failure")).isZero();
            for (String placement : PodlbMetrics.PLACEMENTS) {
                assertThat(count(registry, "podlb.zone.picks", "service", "backend", "placement", placement)).isZero();
            }
            assertThat(registry.get("podlb.panic").tags("service", "backend").gauge().value()).isZero();
            assertThat(registry.get("podlb.endpoints").tags("service", "backend", "state", "ready").gauge().value()).isEqualTo(2);
            // Each pod counts in one state, so the meter summed over its states counts the pods.
            assertThat(registry.get("podlb.endpoints").tags("service", "backend").gauges().stream()
                    .mapToDouble(io.micrometer.core.instrument.Gauge::value).sum()).isEqualTo(2);
            assertThat(registry.get("podlb.endpoints.pickable").tags("service", "backend").gauge().value()).isEqualTo(2);
            assertThat(registry.get("podlb.endpoints.ejected").tags("service", "backend").gauge().value()).isZero();
        });
    }

    @Test
    void callsAndAttemptsAreCountedApart() throws IOException {
        try (LoopbackPods failing = new LoopbackPods().start("127.0.0.4", 0, 503).start("127.0.0.5", 0, 503)) {
            runner.withPropertyValues("podlb.services.backend.target=" + failing.staticTarget(),
                    "podlb.services.backend.retry.on-status=503", "podlb.services.backend.retry.backoff.base=0s").run(context -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(get(context, "http://backend:" + failing.port() + "/")).isEqualTo(503);

                assertThat(failing.requests("127.0.0.4") + failing.requests("127.0.0.5")).isEqualTo(3);
                assertThat(calls(registry, "podlb.calls", "service", "backend", "outcome", "server_error")).isEqualTo(1);
                assertThat(calls(registry, "podlb.attempts", "service", "backend", "outcome", "server_error")).isEqualTo(3);
                assertThat(count(registry, "podlb.retries", "service", "backend")).isEqualTo(2);
            });
        }
    }

    @Test
    void callsThatFindNoPodAreCounted() throws Exception {
        try (TestDnsServer dns = new TestDnsServer()) {
            dns.a("backend.default.svc.cluster.local", 5); // the name exists, no pod is ready
            runner.withPropertyValues("podlb.services.backend.target=dns:///backend.default.svc.cluster.local:8080")
                    .withBean(Discovery.class, () -> Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build())
                    .run(context -> {
                        LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
                        // The empty answer reached the load balancer: its pick fails now, not while waiting.
                        await().atMost(Duration.ofSeconds(10)).until(() -> lb.status().lastResolutionError() != null);
                        assertThatThrownBy(() -> get(context, "http://backend:8080/")).isInstanceOf(NoPodAvailableException.class);

                        Timer noPod = context.getBean(MeterRegistry.class).get("podlb.calls")
                                .tags("service", "backend", "outcome", "no_pod").timer();
                        assertThat(noPod.count()).isEqualTo(1);
                    });
        }
    }

    @Test
    void panicModeShowsInItsGaugeAndInHealth() throws IOException {
        int port = LoopbackPods.closedPort("127.0.0.6");
        runner.withPropertyValues("podlb.services.backend.target=static:///127.0.0.6:" + port + ",127.0.0.7:" + port,
                "podlb.services.backend.ejection.consecutive-failures=1",
                "podlb.services.backend.ejection.max-ejection-percent=100",
                "podlb.services.backend.retry.max-attempts=1").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
            assertThat(registry.get("podlb.panic").tags("service", "backend").gauge().value()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                assertThatThrownBy(() -> get(context, "http://backend:" + port + "/")).isInstanceOf(IOException.class);
                return lb.status().ejected() == 2;
            });

            assertThat(count(registry, "podlb.ejections", "service", "backend")).isEqualTo(2);
            assertThat(registry.get("podlb.panic").tags("service", "backend").gauge().value()).isEqualTo(1);
            org.springframework.boot.health.contributor.Health health = new ServiceHealthIndicator(lb).health();
            assertThat(health.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
            assertThat(health.getDetails()).containsEntry("panic", true).containsEntry("reason", "panic mode: too few of"
                    + " the 2 candidate pods are healthy (2 ejected), so calls go to every one of them, ejected ones included");
        });
    }

    @Test
    void picksAreCountedBySameOrOtherZoneThanTheClients() {
        String ranges = "topology.zones-by-address.a=127.0.0.2/32";
        runner.withPropertyValues("podlb.services.backend.topology.zone=a", "podlb.services.backend." + ranges,
                        "podlb.services.backend.topology.zones-by-address.b=127.0.0.3/32",
                        "podlb.services.away.target=" + pods.staticTarget(), "podlb.services.away.topology.zone=c",
                        "podlb.services.away." + ranges, "podlb.services.away.topology.zones-by-address.b=127.0.0.3/32",
                        "podlb.services.nowhere.target=" + pods.staticTarget())
                .run(context -> {
                    for (int i = 0; i < 4; i++) {
                        get(context, "http://backend:" + pods.port() + "/");
                        get(context, "http://away:" + pods.port() + "/");
                        get(context, "http://nowhere:" + pods.port() + "/");
                    }
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    // Zone a has a pod: every call stays there. Zone c has none: calls go to a and b.
                    assertThat(pods.requests("127.0.0.2")).isEqualTo(4 + 2 + 2);
                    assertThat(count(registry, "podlb.zone.picks", "service", "backend", "placement", "same_zone")).isEqualTo(4);
                    assertThat(count(registry, "podlb.zone.picks", "service", "backend", "placement", "other_zone")).isZero();
                    assertThat(count(registry, "podlb.zone.picks", "service", "away", "placement", "other_zone")).isEqualTo(4);
                    assertThat(count(registry, "podlb.zone.picks", "service", "nowhere", "placement", "unknown")).isEqualTo(4);
                });
    }
}
