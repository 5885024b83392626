package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.testing.LocalPods;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A downstream service losing every pod leaves the application UP: its health shows in a group
 * that includes podlb, and counts in the root only when the application opts in. A service whose
 * every pickable pod fails its calls is DOWN there too, and UP again once they answer.
 */
@Timeout(60)
class PodlbHealthTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private TestDnsServer dns;
    private final ManualScheduler clock = new ManualScheduler();
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws Exception {
        dns = new TestDnsServer();
        dns.a(HOST, 1, "127.0.0.2");
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class,
                        HealthContributorAutoConfiguration.class, HealthContributorRegistryAutoConfiguration.class,
                        HealthEndpointAutoConfiguration.class, PodlbAutoConfiguration.class,
                        PodlbOkHttpAutoConfiguration.class, PodlbHealthAutoConfiguration.class))
                .withBean(Discovery.class, () -> Discovery.builder()
                        .dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).scheduler(clock).build()).build())
                .withPropertyValues("podlb.services.backend.target=dns:///" + HOST + ":8080",
                        "podlb.services.backend.host=" + HOST,
                        "podlb.services.other.target=static:///127.0.0.3:8080",
                        "management.endpoint.health.show-details=always",
                        "management.endpoint.health.group.downstream.include=podlb",
                        "management.endpoint.health.group.downstream.show-details=always");
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    /** Scales the backend to zero in DNS and moves time on until its load balancer has no pod left. */
    private LoadBalancer podsGone(AssertableApplicationContext context) {
        LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
        assertThat(lb.status().pickable()).isEqualTo(1);
        dns.a(HOST, 1);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            clock.advance(Duration.ofSeconds(1));
            return lb.status().known() == 0;
        });
        return lb;
    }

    private static Map<String, Object> details(HealthDescriptor health) {
        return ((IndicatedHealthDescriptor) health).getDetails();
    }

    @Test
    void aServiceWithoutPodsLeavesTheRootUpAndShowsDownInAGroupWithTheReason() {
        runner.run(context -> {
            podsGone(context);
            HealthEndpoint health = context.getBean(HealthEndpoint.class);

            HealthDescriptor root = health.health();
            assertThat(root.getStatus()).isEqualTo(Status.UP);
            assertThat(((CompositeHealthDescriptor) root).getComponents()).doesNotContainKey("podlb");

            assertThat(health.healthForPath("downstream").getStatus()).isEqualTo(Status.DOWN);
            HealthDescriptor backend = health.healthForPath("downstream", "podlb", "backend");
            assertThat(backend.getStatus()).isEqualTo(Status.DOWN);
            assertThat(details(backend)).containsEntry("known", 0).containsEntry("pickable", 0)
                    .containsEntry("reason", "no pod: dns:///" + HOST + ":8080 discovered no endpoint");
            assertThat(health.healthForPath("downstream", "podlb", "other").getStatus()).isEqualTo(Status.UP);
            // Outside the root, the service's own path is not there either: only groups show it.
            assertThat(health.healthForPath("podlb", "backend")).isNull();
        });
    }

    @Test
    void optedInTheRootGoesDownWithTheService() {
        runner.withPropertyValues("podlb.health.include-in-root=true").run(context -> {
            HealthEndpoint health = context.getBean(HealthEndpoint.class);
            context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            podsGone(context);

            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            HealthDescriptor backend = health.healthForPath("podlb", "backend");
            assertThat(backend.getStatus()).isEqualTo(Status.DOWN);
            assertThat(details(backend)).containsKey("reason");
        });
    }

    @Test
    void livenessAndReadinessLeavePodlbOutEvenWhenItCountsInTheRoot() {
        runner.withPropertyValues("podlb.health.include-in-root=true", "management.endpoint.health.probes.enabled=true")
                .withConfiguration(AutoConfigurations.of(
                        org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration.class,
                        org.springframework.boot.health.autoconfigure.application.AvailabilityHealthContributorAutoConfiguration.class,
                        org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration.class))
                .run(context -> {
                    // What a started application has published.
                    AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
                    AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
                    HealthEndpoint health = context.getBean(HealthEndpoint.class);
                    assertThat(health.healthForPath("liveness").getStatus()).isEqualTo(Status.UP);

                    podsGone(context);

                    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.healthForPath("liveness").getStatus()).isEqualTo(Status.UP);
                    assertThat(health.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);
                });
    }

    @Test
    void everyPickablePodFailingIsDownWithTheReasonAndUpAgainWhenTheyRecover() {
        String[] ips = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
        try (LocalPods pods = new LocalPods(ips)) {
            runner.withPropertyValues("podlb.services.backend.target=static:///127.0.0.2:" + pods.port() + ",127.0.0.3:"
                    + pods.port() + ",127.0.0.4:" + pods.port(), "podlb.services.backend.retry.budget.enabled=false")
                    .run(context -> {
                        HealthEndpoint health = context.getBean(HealthEndpoint.class);
                        OkHttpClient client = context.getBean(OkHttpClient.class);
                        context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
                        String url = "http://" + HOST + ":" + pods.port() + "/";
                        for (int i = 0; i < 3; i++) {
                            assertThat(call(client, url)).isTrue();
                        }
                        assertThat(health.healthForPath("downstream", "podlb", "backend").getStatus()).isEqualTo(Status.UP);

                        for (String ip : ips) {
                            pods.stop(ip);
                        }
                        int failed = 0;
                        for (int i = 0; i < 30 && health.healthForPath("downstream", "podlb", "backend").getStatus() == Status.UP; i++) {
                            failed += call(client, url) ? 0 : 1;
                        }
                        HealthDescriptor failing = health.healthForPath("downstream", "podlb", "backend");
                        assertThat(failed).as("calls that met the stopped pods").isGreaterThan(0);
                        assertThat(failing.getStatus()).isEqualTo(Status.DOWN);
                        assertThat((int) details(failing).get("pickable")).isGreaterThan(0);
                        assertThat((String) details(failing).get("reason"))
                                .startsWith("failing: the latest call to every pickable pod failed (failures in a row: ");

                        for (String ip : ips) {
                            pods.start(ip);
                        }
                        boolean succeeded = false;
                        for (int i = 0; i < 10 && !succeeded; i++) {
                            succeeded = call(client, url);
                        }
                        assertThat(succeeded).as("a call once the pods are back").isTrue();
                        HealthDescriptor recovered = health.healthForPath("downstream", "podlb", "backend");
                        assertThat(recovered.getStatus()).isEqualTo(Status.UP);
                        assertThat(details(recovered)).doesNotContainKey("reason");
                    });
        }
    }

    /** Whether a GET through podlb got a 2xx. */
    private static boolean call(OkHttpClient client, String url) {
        try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
            return response.isSuccessful();
        } catch (IOException e) {
            return false;
        }
    }
}
