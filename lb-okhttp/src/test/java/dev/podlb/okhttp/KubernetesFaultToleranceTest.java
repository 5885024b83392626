package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.testing.TcpProxy;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same faults with the pods found through EndpointSlices on fabric8's mock API server: pod
 * restarts, the API server out of reach, and a rolling restart that replaces every pod.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KubernetesFaultToleranceTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final KubernetesMockServer server = KubernetesApi.server();
    private final KubernetesClient client = KubernetesApi.client();
    private LocalPods pods;
    private Discovery discovery;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient http;

    @BeforeEach
    void startPods() {
        KubernetesApi.clear();
        pods = new LocalPods(FaultToleranceTest.PODS);
    }

    @AfterEach
    void stop() {
        Teardown.stop(interceptor, http, discovery, pods);
    }

    /** The service's slice: each endpoint {@code ip} is ready, or {@code ip/terminating} serving but terminating. */
    private void slice(String... endpoints) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort();
        for (String endpoint : endpoints) {
            boolean terminating = endpoint.endsWith("/terminating");
            slice.addNewEndpoint().withAddresses(endpoint.replace("/terminating", ""))
                    .withNewConditions().withReady(!terminating).withServing(true).withTerminating(terminating).endConditions()
                    .endEndpoint();
        }
        EndpointSlice built = slice.build();
        client.discovery().v1().endpointSlices().inNamespace("default").resource(built).createOr(existing -> existing.update());
    }

    private void balance(KubernetesClient apiClient) {
        discovery = Discovery.builder()
                .kubernetes(KubernetesDiscovery.using(apiClient).withFreshnessCheck(Duration.ofSeconds(1))).build();
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                .service(BalancedService.builder(HOST).target("k8s:///backend.default:http")
                        .ejection(EjectionPolicy.builder().consecutiveFailures(3).baseEjectionTime(Duration.ofSeconds(1))
                                .maxEjectionTime(Duration.ofSeconds(5)).build())
                        .build())
                .build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        KubernetesApi.awaitWatching(ip -> !interceptor.loadBalancer(HOST).endpoints().lookup(ip).isEmpty(), "default", "backend", "http", pods.port());
        http = new OkHttpClient.Builder().addInterceptor(interceptor).connectTimeout(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(10)).build();
    }

    private String get() throws IOException {
        try (Response response = http.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute()) {
            if (!response.isSuccessful()) {
                throw new IOException("status " + response.code());
            }
            return response.body().string();
        }
    }

    @Test
    void getsSucceedWhilePodsRestartOneAtATime() throws Exception {
        slice(FaultToleranceTest.PODS);
        balance(client);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger restarts = new AtomicInteger();
        Thread chaos = pods.restartOneAtATime(FaultToleranceTest.PODS, running, restarts);

        List<String> failures = Load.run(2, 20_000, id -> get());
        running.set(false);
        chaos.join();

        Load.report("GETs while pods restart one at a time every 500 ms (EndpointSlices)", "2 threads x 20,000 GETs",
                restarts.get() + " pod restarts", failures.size() + " failed calls");
        assertThat(failures).isEmpty();
    }

    @Test
    void apiServerOutOfReachKeepsTheSetAndCatchesUpWhenBack() throws Exception {
        slice(FaultToleranceTest.PODS);
        try (TcpProxy proxy = new TcpProxy(new InetSocketAddress("127.0.0.1", server.getPort()));
             KubernetesClient viaProxy = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                     .withMasterUrl("https://127.0.0.1:" + proxy.port()).withRequestTimeout(2000).withConnectionTimeout(1000)
                     .build()).build()) {
            balance(viaProxy);
            pods.start("127.0.0.5");
            Set<String> answered = ConcurrentHashMap.newKeySet();
            AtomicBoolean done = new AtomicBoolean();
            Thread operator = new Thread(() -> {
                Load.sleep(300);
                proxy.cut();
                slice("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
                Load.sleep(3000);
                proxy.restore();
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!answered.contains("127.0.0.5") && System.nanoTime() < until) {
                    Load.sleep(50);
                }
                Load.sleep(300);
                done.set(true);
            });
            operator.start();
            Load.Result result = Load.runUntil(2, done::get, id -> answered.add(get()));
            operator.join();

            Load.report("API server out of reach for 3 s while a pod is added (EndpointSlices, watch cut)",
                    result.calls() + " GETs on 2 threads", "every API connection reset, new ones refused for 3 s",
                    result.failures().size() + " failed calls; the new pod answered after the API server came back: "
                            + answered.contains("127.0.0.5"));
            assertThat(result.failures()).isEmpty();
            assertThat(answered).contains("127.0.0.5");
        }
    }

    @Test
    void rollingRestartReplacingEveryPodLosesNoGet() throws Exception {
        slice(FaultToleranceTest.PODS);
        balance(client);
        String[] replacements = {"127.0.0.5", "127.0.0.6", "127.0.0.7"};
        Map<String, Integer> answeredBy = new ConcurrentHashMap<>();
        AtomicBoolean done = new AtomicBoolean();
        Thread rollout = new Thread(() -> {
            List<String> live = new ArrayList<>(List.of(FaultToleranceTest.PODS));
            for (int i = 0; i < 3; i++) {
                String old = FaultToleranceTest.PODS[i];
                String fresh = replacements[i];
                pods.start(fresh);
                live.add(fresh);
                List<String> withOldTerminating = new ArrayList<>();
                for (String ip : live) {
                    withOldTerminating.add(ip.equals(old) ? ip + "/terminating" : ip);
                }
                slice(withOldTerminating.toArray(new String[0]));
                Load.sleep(300);
                live.remove(old);
                slice(live.toArray(new String[0]));
                Load.sleep(300);
                pods.stop(old);
                Load.sleep(300);
            }
            done.set(true);
        });
        rollout.start();
        Load.Result result = Load.runUntil(2, done::get, id -> answeredBy.merge(get(), 1, Integer::sum));
        rollout.join();

        Map<String, Integer> after = new java.util.TreeMap<>();
        for (int i = 0; i < 30; i++) {
            after.merge(get(), 1, Integer::sum);
        }
        Load.report("rolling restart: 3 pods replaced by 3 with new addresses (EndpointSlices: old terminating, then gone)",
                result.calls() + " GETs on 2 threads during the rollout", "each old pod terminating, removed, stopped",
                result.failures().size() + " failed calls; afterwards " + after);
        assertThat(result.failures()).isEmpty();
        assertThat(after).containsOnlyKeys(replacements);
    }
}
