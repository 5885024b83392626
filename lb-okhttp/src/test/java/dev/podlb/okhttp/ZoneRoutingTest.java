package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.testing.kubernetes.KubernetesApi;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Zone-aware routing end to end: nine pods on loopback in zones a, b and c, found through
 * EndpointSlices with zone hints on the mock API server, and a client in zone a. Calls stay in a;
 * as a's pods are made not ready one by one, the share spilled to b and c grows as the policy says,
 * and no call fails.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ZoneRoutingTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String[][] ZONES = {
            {"a", "127.0.0.2", "127.0.0.3", "127.0.0.4"},
            {"b", "127.0.0.5", "127.0.0.6", "127.0.0.7"},
            {"c", "127.0.0.8", "127.0.0.9", "127.0.0.10"}};

    private final KubernetesClient client = KubernetesApi.client();
    private final Set<String> notReady = ConcurrentHashMap.newKeySet();
    private LocalPods pods;
    private Discovery discovery;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient http;

    @AfterEach
    void stop() {
        Teardown.stop(interceptor, http, discovery, pods);
    }

    private void publish() {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-zones").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort();
        for (String[] zone : ZONES) {
            for (int i = 1; i < zone.length; i++) {
                boolean ready = !notReady.contains(zone[i]);
                slice.addNewEndpoint().withAddresses(zone[i]).withZone(zone[0])
                        .withNewHints().addNewForZone(zone[0]).endHints()
                        .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
                        .endEndpoint();
            }
        }
        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice.build())
                .createOr(existing -> existing.update());
    }

    private static String zoneOf(String ip) {
        for (String[] zone : ZONES) {
            for (int i = 1; i < zone.length; i++) {
                if (zone[i].equals(ip)) {
                    return zone[0];
                }
            }
        }
        throw new IllegalArgumentException(ip);
    }

    /** 2 threads of 300 GETs each: the share each zone answered, and the calls that failed. */
    private Map<String, Double> shares(AtomicInteger failed) throws InterruptedException {
        Map<String, AtomicInteger> byZone = new ConcurrentHashMap<>();
        failed.addAndGet(Load.run(2, 300, id -> {
            try (Response response = http.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/")
                    .build()).execute()) {
                if (!response.isSuccessful()) {
                    throw new IOException("status " + response.code());
                }
                byZone.computeIfAbsent(zoneOf(response.body().string()), k -> new AtomicInteger()).incrementAndGet();
            }
        }).size());
        Map<String, Double> shares = new HashMap<>();
        byZone.forEach((zone, n) -> shares.put(zone, n.get() / 600.0));
        return shares;
    }

    private void makeNotReady(LoadBalancer lb, String ip) {
        notReady.add(ip);
        publish();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> lb.endpoints().lookup(ip).get(0).readiness() != dev.podlb.core.Readiness.READY);
    }

    @Test
    void callsStayInTheZoneAndSpillAsItsPodsGoAway() throws Exception {
        KubernetesApi.clear();
        pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7",
                "127.0.0.8", "127.0.0.9", "127.0.0.10");
        publish();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                .service(BalancedService.builder(HOST).target("k8s:///backend.default:http")
                        .customize(lb -> lb.topology(TopologyPolicy.builder().locality(Locality.of("a", null)).build()))
                        .build())
                .build();
        LoadBalancer lb = interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        KubernetesApi.awaitWatching(ip -> !lb.endpoints().lookup(ip).isEmpty(), "default", "backend", "http", pods.port());
        http = interceptor.newClientBuilder().build();
        AtomicInteger failed = new AtomicInteger();

        assertThat(shares(failed)).containsOnlyKeys("a");
        assertThat(lb.status().routing()).isEqualTo("zone a");

        makeNotReady(lb, "127.0.0.2"); // 2 of 8 ready against 3 of 9 hinted: 75% stays
        assertThat(shares(failed).get("a")).isBetween(0.67, 0.83);
        assertThat(lb.status().routing()).isEqualTo("zone a, 25% spilled");

        makeNotReady(lb, "127.0.0.3"); // 1 of 7 against 3 of 9: 43% stays
        assertThat(shares(failed).get("a")).isBetween(0.35, 0.51);

        makeNotReady(lb, "127.0.0.4"); // no ready pod hinted for a: the whole service, as kube-proxy does
        Map<String, Double> none = shares(failed);
        assertThat(none).doesNotContainKey("a");
        assertThat(none.get("b")).isBetween(0.4, 0.6);
        assertThat(lb.status().routing()).isEqualTo("cluster");
        assertThat(lb.status().routingReason()).isEqualTo("no ready endpoint is hinted for zone a");

        assertThat(failed).hasValue(0);
    }
}
