package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.testing.PodlbThreads;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;

class PodlbAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PodlbKubernetesAutoConfiguration.class, PodlbMetricsAutoConfiguration.class,
                    PodlbAutoConfiguration.class, PodlbOkHttpAutoConfiguration.class, PodlbRestClientAutoConfiguration.class,
                    PodlbHealthAutoConfiguration.class, PodlbEndpointAutoConfiguration.class))
            .withPropertyValues("podlb.services.backend.target=static:///127.0.0.2:8080,127.0.0.3:8080",
                    "podlb.services.backend.host=backend.default.svc.cluster.local");

    @Test
    void aServiceGetsALoadBalancerAndABalancedClient() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(LoadBalancingInterceptor.class).hasSingleBean(OkHttpClient.class);
            PodlbServices services = context.getBean(PodlbServices.class);
            LoadBalancer lb = services.loadBalancers().get("backend");
            assertThat(lb.awaitReady(Duration.ofSeconds(5)).endpoints().size()).isEqualTo(2);
            assertThat(services.host("backend")).isEqualTo("backend.default.svc.cluster.local");
            assertThat(context.getBean(OkHttpClient.class).interceptors()).contains(context.getBean(LoadBalancingInterceptor.class));
        });
    }

    @Test
    void propertiesBindToTheServicesSettings() {
        runner.withPropertyValues("podlb.services.backend.sticky.header=X-Session-Id", "podlb.services.backend.pin-header=X-Pod",
                        "podlb.services.backend.retry.max-attempts=2", "podlb.services.backend.retry.on-status=503,502",
                        "podlb.services.backend.ejection.consecutive-failures=3",
                        "podlb.services.backend.ejection.base-ejection-time=10s",
                        "podlb.services.backend.ejection.max-ejection-percent=34",
                        "podlb.services.backend.ejection.panic-threshold-percent=20",
                        "podlb.services.backend.retry.buffer-responses-up-to=1MB")
                .run(context -> {
                    PodlbProperties.Service backend = context.getBean(PodlbProperties.class).getServices().get("backend");
                    assertThat(backend.getSticky().getHeader()).isEqualTo("X-Session-Id");
                    assertThat(backend.getRetry().getOnStatus()).containsExactly(503, 502);
                    assertThat(backend.getRetry().getBufferResponsesUpTo()).isEqualTo(DataSize.ofMegabytes(1));
                    assertThat(backend.getEjection().getBaseEjectionTime()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(backend.getEjection().getMaxEjectionPercent()).isEqualTo(34);
                    assertThat(backend.getEjection().getPanicThresholdPercent()).isEqualTo(20);
                    assertThat(context.getBean(PodlbServices.class).loadBalancers().get("backend").toString())
                            .contains("sticky");
                });
    }

    @Test
    void theApplicationsOwnClientWinsAndCustomizersApply() {
        OkHttpClient own = new OkHttpClient();
        runner.withBean(OkHttpClient.class, () -> own).run(context ->
                assertThat(context.getBean(OkHttpClient.class)).isSameAs(own));
        runner.withBean(PodlbOkHttpClientCustomizer.class, () -> builder -> builder.callTimeout(Duration.ofSeconds(7)))
                .run(context -> assertThat(context.getBean(OkHttpClient.class).callTimeoutMillis()).isEqualTo(7000));
    }

    @Test
    void malformedTargetFailsStartUpNamingTheProperty() {
        runner.withPropertyValues("podlb.services.backend.target=dns:///backend.default.svc.cluster.local")
                .run(context -> {
                    assertThat(context).hasFailed();
                    Throwable failure = context.getStartupFailure();
                    PodlbConfigurationException cause = find(failure);
                    assertThat(cause.getProperty()).isEqualTo("podlb.services.backend.target");
                    assertThat(cause).hasMessageContaining("has no port; expected dns:///<host>:<port>");
                    FailureAnalysis analysis = new PodlbFailureAnalyzer().analyze(failure);
                    assertThat(analysis.getDescription()).startsWith("podlb could not start: property"
                            + " 'podlb.services.backend.target' is 'dns:///backend.default.svc.cluster.local'.");
                    assertThat(analysis.getAction()).contains("podlb.services.backend.target");
                });
    }

    @Test
    void badValuesAreNamed() {
        runner.withPropertyValues("podlb.services.backend.picker=sticky").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessageStartingWith(
                        "property 'podlb.services.backend.picker' is 'sticky': a sticky picker needs a sticky key"));
        runner.withPropertyValues("podlb.services.backend.retry.max-attempts=0").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessage("property"
                        + " 'podlb.services.backend.retry.max-attempts' is '0': expected 1 to 10 (3 is the default)"));
        runner.withPropertyValues("podlb.services.backend.retry.buffer-responses-up-to=-1B").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessageStartingWith("property"
                        + " 'podlb.services.backend.retry.buffer-responses-up-to' is '-1B': bufferResponsesUpTo of service"));
        runner.withPropertyValues("podlb.services.backend.ejection.base-ejection-time=0s").run(context ->
                assertThat(find(context.getStartupFailure()).getProperty()).isEqualTo("podlb.services.backend.ejection.base-ejection-time"));
        runner.withPropertyValues("podlb.services.backend.ejection.max-ejection-percent=150").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessageStartingWith("property"
                        + " 'podlb.services.backend.ejection.max-ejection-percent' is '150': expected 0 to 100"));
        runner.withPropertyValues("podlb.routes[0].host=myapp", "podlb.routes[0].paths[0].path=/ui",
                "podlb.routes[0].paths[0].service=frontend").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessage("property 'podlb.routes[0].paths[0].service' is"
                        + " 'frontend': no service of that name; expected one of [backend] (the names under podlb.services)"));
    }

    @Test
    void withoutFabric8DnsAndStaticTargetsStillWork() {
        runner.withClassLoader(new FilteredClassLoader(KubernetesClient.class)).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(PodlbKubernetesAutoConfiguration.KubernetesResolvers.class);
            assertThat(context).hasSingleBean(PodlbServices.class);
        });
    }

    @Test
    void aKubernetesTargetWithoutFabric8IsReportedNamingTheDependency() {
        runner.withClassLoader(new FilteredClassLoader(KubernetesClient.class))
                .withPropertyValues("podlb.services.backend.target=k8s:///backend.default:http").run(context -> {
                    assertThat(context).hasFailed();
                    PodlbConfigurationException cause = find(context.getStartupFailure());
                    assertThat(cause.getProperty()).isEqualTo("podlb.services.backend.target");
                    FailureAnalysis analysis = new PodlbFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).startsWith("podlb could not start: property"
                            + " 'podlb.services.backend.target' is 'k8s:///backend.default:http'.")
                            .contains("k8s:/// targets need the fabric8 Kubernetes client, which is not on the class path");
                    assertThat(analysis.getAction()).contains("io.fabric8:kubernetes-client")
                            .contains("io.fabric8:kubernetes-httpclient-jdk");
                });
    }

    @Test
    void topologyPropertiesReachTheLoadBalancer() {
        runner.withPropertyValues("podlb.services.backend.topology.zone=a", "podlb.services.backend.topology.node=n1",
                "podlb.services.backend.topology.spill-over-threshold=0.8",
                "podlb.services.backend.topology.zones-by-address.a=127.0.0.2/32",
                "podlb.services.backend.topology.zones-by-address.b=127.0.0.3/32").run(context -> {
                    LoadBalancer lb = context.getBean(PodlbServices.class).loadBalancers().get("backend");
                    LoadBalancer.Status status = lb.awaitReady(Duration.ofSeconds(5)).status();
                    assertThat(status.locality()).isEqualTo("zone a, node n1");
                    assertThat(status.routing()).isEqualTo("zone a");
                    assertThat(lb.endpoints().endpoints()).extracting(e -> e.zone().orElse(null)).containsExactly("a", "b");
                });
    }

    @Test
    void badTopologyValuesAreNamed() {
        runner.withPropertyValues("podlb.services.backend.topology.spill-over-threshold=1.5").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessageStartingWith("property"
                        + " 'podlb.services.backend.topology.spill-over-threshold' is '1.5': expected more than 0 and at most 1"));
        runner.withPropertyValues("podlb.services.backend.topology.zones-by-address.a=10.1.0.0/99").run(context ->
                assertThat(find(context.getStartupFailure()).getProperty())
                        .isEqualTo("podlb.services.backend.topology.zones-by-address.a"));
    }

    @Test
    void dnsPropertiesBuildTheDiscoverysSettings() {
        PodlbProperties.Dns dns = new PodlbProperties.Dns();
        dns.setIpFamily(dev.podlb.core.discovery.dns.IpFamily.IPV4);
        dns.setMaxStaleness(Duration.ofMinutes(5));
        dns.getRefresh().setMax(Duration.ofSeconds(10));
        dev.podlb.core.discovery.dns.DnsSettings settings = PodlbAutoConfiguration.dnsSettings(dns);
        assertThat(settings.ipFamily()).isEqualTo(dev.podlb.core.discovery.dns.IpFamily.IPV4);
        assertThat(settings.maxStaleness()).contains(Duration.ofMinutes(5));
        assertThat(settings.minRefresh()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.maxRefresh()).isEqualTo(Duration.ofSeconds(10));

        runner.withPropertyValues("podlb.dns.ip-family=ipv6", "podlb.dns.query-timeout=500ms")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(dev.podlb.core.discovery.Discovery.class));
        runner.withPropertyValues("podlb.dns.refresh.min=1m", "podlb.dns.refresh.max=10s").run(context ->
                assertThat(find(context.getStartupFailure())).hasMessageStartingWith("property 'podlb.dns.refresh.max' is 'PT10S': ")
                        .hasMessageContaining("DNS minRefresh PT1M is above maxRefresh PT10S"));
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aDnsServerFromPropertiesResolvesTheTarget() throws Exception {
        String host = "backend.default.svc.cluster.local";
        try (dev.podlb.testing.TestDnsServer dns = new dev.podlb.testing.TestDnsServer();
             dev.podlb.testing.LocalPods pods = new dev.podlb.testing.LocalPods("127.0.0.2", "127.0.0.3")) {
            dns.a(host, 5, "127.0.0.2", "127.0.0.3");
            runner.withPropertyValues("podlb.services.backend.target=dns:///" + host + ":" + pods.port(),
                    "podlb.dns.servers=127.0.0.1:" + dns.address().getPort(), "podlb.dns.search-domains=",
                    "podlb.dns.ndots=1", "podlb.dns.ip-family=ipv4").run(context -> {
                context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
                OkHttpClient client = context.getBean(OkHttpClient.class);
                for (int i = 0; i < 4; i++) {
                    try (okhttp3.Response response = client.newCall(new okhttp3.Request.Builder()
                            .url("http://" + host + "/").build()).execute()) {
                        assertThat(response.body().string()).isIn("127.0.0.2", "127.0.0.3");
                    }
                }
                assertThat(dns.queries()).isPositive();
                assertThat(pods.requestsTo("127.0.0.2")).isEqualTo(2);
                assertThat(pods.requestsTo("127.0.0.3")).isEqualTo(2);
            });
        }
    }

    @Test
    void healthIsUpWithAPickablePodAndDownWithout() {
        runner.withPropertyValues("podlb.services.empty.target=static:///127.0.0.9:1").run(context -> {
            CompositeHealthContributor health = context.getBean(CompositeHealthContributor.class);
            context.getBean(PodlbServices.class).loadBalancers().values().forEach(lb -> lb.awaitReady(Duration.ofSeconds(5)));
            HealthIndicator backend = (HealthIndicator) health.getContributor("backend");
            assertThat(backend.health().getStatus()).isEqualTo(Status.UP);
            assertThat(backend.health().getDetails()).containsEntry("known", 2).containsEntry("ejected", 0);
        });
        try (LoadBalancer undiscovered = LoadBalancer.builder("nothing").resolver(new Resolver() {
            @Override
            public Subscription subscribe(Listener listener) {
                return () -> {};
            }

            @Override
            public String describe() {
                return "a resolver that never finds a pod";
            }

            @Override
            public void close() {}
        }).build()) {
            assertThat(new ServiceHealthIndicator(undiscovered).health().getStatus()).isEqualTo(Status.DOWN);
        }
    }

    @Test
    void metricsHearTheLoadBalancersWhenARegistryExists() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            assertThat(context).hasSingleBean(PodlbMetrics.class);
            context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(5));
            assertThat(context.getBean(MeterRegistry.class).get("podlb.resolutions")
                    .tags("service", "backend", "result", "changed").counter().count()).isEqualTo(1);
        });
    }

    @Test
    void everythingClosesWithTheContext() {
        LoadBalancer[] lb = new LoadBalancer[1];
        runner.run(context -> lb[0] = context.getBean(PodlbServices.class).loadBalancers().get("backend"));
        assertThatThrownBy(() -> lb[0].pick()).isInstanceOfSatisfying(dev.podlb.core.NoEndpointException.class,
                e -> assertThat(e.reason()).isEqualTo(dev.podlb.core.NoEndpointException.Reason.CLOSED));
    }

    @Test
    void noPodlbThreadOutlivesTheContext() throws Exception {
        try (dev.podlb.testing.TestDnsServer dns = new dev.podlb.testing.TestDnsServer()) {
            dns.a("backend.default.svc.cluster.local", 1, "127.0.0.2");
            runner.withPropertyValues("podlb.services.backend.target=dns:///backend.default.svc.cluster.local:8080")
                    .withBean(dev.podlb.core.discovery.Discovery.class, () -> dev.podlb.core.discovery.Discovery.builder()
                            .dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(dev.podlb.core.discovery.dns.IpFamily.IPV4).build()).build())
                    .run(context -> {
                        context.getBean(PodlbServices.class).loadBalancers().get("backend").awaitReady(Duration.ofSeconds(10));
                        assertThat(PodlbThreads.alive()).isNotEmpty();
                    });
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> PodlbThreads.alive().isEmpty());
        }
    }

    private static PodlbConfigurationException find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PodlbConfigurationException) {
                return (PodlbConfigurationException) t;
            }
        }
        throw new AssertionError("no PodlbConfigurationException in " + failure, failure);
    }
}
