package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Spring Boot application with a real web server, calling three pods on 127.0.0.2–4 found
 * through a real DNS server, through a plain {@code RestClient.Builder}, with Actuator and metrics.
 */
// Closed after this class, so that its load balancers do not outlive it in the shared test JVM.
@DirtiesContext
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = {PodlbApplicationTest.App.class, PodlbApplicationTest.TestDns.class})
class PodlbApplicationTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static TestDnsServer dns;
    private static final Map<String, MockWebServer> pods = new HashMap<>();
    private static int podPort;

    @LocalServerPort
    int port;

    @Autowired
    OkHttpClient balanced;

    @BeforeAll
    static void startCluster() throws IOException {
        dns = new TestDnsServer();
        for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            MockWebServer pod = new MockWebServer();
            pod.setServerSocketFactory(new NoDelayServerSocketFactory());
            pod.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    return new MockResponse.Builder().body(ip).build();
                }
            });
            pod.start(InetAddress.getByName(ip), podPort);
            podPort = pod.getPort();
            pods.put(ip, pod);
        }
        dns.a(HOST, 30, "127.0.0.2", "127.0.0.3", "127.0.0.4");
    }

    @AfterAll
    static void stopCluster() {
        pods.values().forEach(MockWebServer::close);
        dns.close();
    }

    @DynamicPropertySource
    static void podlb(DynamicPropertyRegistry registry) {
        registry.add("podlb.services.backend.target", () -> "dns:///" + HOST + ":" + podPort);
        registry.add("podlb.services.backend.host", () -> HOST);
        registry.add("management.endpoints.web.exposure.include", () -> "health,podlb,metrics");
        registry.add("management.endpoint.health.show-details", () -> "always");
        registry.add("management.endpoint.health.group.downstream.include", () -> "podlb");
        registry.add("management.endpoint.health.group.downstream.show-details", () -> "always");
    }

    @SpringBootApplication
    @RestController
    static class App {
        private final RestClient backend;

        App(RestClient.Builder builder) {
            this.backend = builder.build();
        }

        @GetMapping("/which-pod")
        String whichPod() {
            return backend.get().uri("http://" + HOST + ":" + podPort + "/").retrieve().body(String.class);
        }
    }

    /** podlb's discovery, pointed at the test's DNS server instead of resolv.conf: an application's bean wins. */
    @Configuration(proxyBeanMethods = false)
    static class TestDns {
        @Bean(destroyMethod = "close")
        Discovery podlbDiscovery() {
            return Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build();
        }
    }

    private String get(String path) throws IOException {
        try (Response response = new OkHttpClient().newCall(new Request.Builder().url("http://127.0.0.1:" + port + path).build())
                .execute()) {
            return response.body().string();
        }
    }

    @Test
    void restClientCallsAreSpreadOverThePods() throws IOException {
        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            answers.merge(get("/which-pod"), 1, Integer::sum);
        }
        assertThat(answers).containsOnlyKeys("127.0.0.2", "127.0.0.3", "127.0.0.4");
        // The web server answers on several threads, and round-robin keeps a position per thread
        // (no shared counter to contend on): the spread is even to within a call or two, not exact.
        assertThat(answers.values()).allSatisfy(n -> assertThat(n).isBetween(8, 12));
    }

    @Test
    void actuatorShowsHealthPodsAndMetrics() throws IOException {
        get("/which-pod");

        String health = get("/actuator/health/downstream/podlb/backend");
        assertThat(health).contains("\"status\":\"UP\"").contains("\"known\":3").contains("\"ejected\":0");
        // The root's JSON may name podlb elsewhere (the disk-space indicator prints the working
        // directory, which is often a checkout named podlb): what must hold is that no health
        // component under the root is podlb's.
        JsonNode root = JSON.readTree(get("/actuator/health"));
        assertThat(root.path("status").asString()).isEqualTo("UP");
        assertThat(componentNames(root)).isNotEmpty().doesNotContain("podlb");

        String podlb = get("/actuator/podlb");
        assertThat(podlb).contains("\"target\":\"dns:///" + HOST).contains("127.0.0.3:" + podPort).contains("\"readiness\":\"ready\"");

        String metrics = get("/actuator/metrics/podlb.attempts");
        assertThat(metrics).contains("\"service\"").contains("\"outcome\"");
        assertThat(get("/actuator/metrics/podlb.endpoints")).contains("\"state\"");
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The names of every health component under a node, at any depth. */
    private static List<String> componentNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.path("components").properties().forEach(component -> {
            names.add(component.getKey());
            names.addAll(componentNames(component.getValue()));
        });
        return names;
    }
}
