package dev.podlb.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example as a user runs it, with only the starter, web and actuator on its class path: its
 * {@code RestClient.Builder} exists and its calls spread over the local pods. The pods move to
 * 127.0.0.2–4 on a free port, and the application to a random one, so that the test can run
 * beside anything on 8080–8083.
 */
@Timeout(60)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringAppExampleTest {
    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void pods(DynamicPropertyRegistry registry) throws IOException {
        int podPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
            podPort = probe.getLocalPort();
        }
        registry.add("example.local-pods", () -> "127.0.0.2:" + podPort + ",127.0.0.3:" + podPort + ",127.0.0.4:" + podPort);
    }

    private String get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void callsSpreadOverTheLocalPods() throws Exception {
        assertThat(get("/spread?calls=30")).isEqualTo("{\"pod-1\":10,\"pod-2\":10,\"pod-3\":10}");
    }

    @Test
    void actuatorShowsTheBackendInItsGroupAndNotInTheRoot() throws Exception {
        // The root's JSON may name podlb elsewhere (the disk-space indicator prints the working
        // directory, often a checkout named podlb): what must hold is that no health component
        // under the root is podlb's.
        JsonNode root = JSON.readTree(get("/actuator/health"));
        assertThat(root.path("status").asString()).isEqualTo("UP");
        assertThat(componentNames(root)).isNotEmpty().doesNotContain("podlb");
        assertThat(get("/actuator/health/downstream/podlb/backend")).contains("\"status\":\"UP\"").contains("\"known\":3");
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
