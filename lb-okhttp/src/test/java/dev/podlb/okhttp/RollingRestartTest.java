package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * A rolling restart under load, with the default ejection policy: five pods, each stopped for a
 * second and started again, one after another, twice around, while four threads call. No call may
 * fail, and outlier detection must not make it worse than the restart itself: no pod may take more
 * than half of the calls in any second (as happened when every restarted pod stayed ejected and
 * the last one left took everything). Through EndpointSlices, where the restarted pod is reported
 * not ready and then ready again, its ejection must end as soon as it is ready.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RollingRestartTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};
    private static final int ROUNDS = 2;

    private LocalPods pods;
    private Discovery discovery;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient http;
    /** Each call's answering pod, with the second it ended in. */
    private final ConcurrentLinkedQueue<long[]> answers = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startPods() {
        pods = new LocalPods(PODS);
    }

    @AfterEach
    void stop() {
        Teardown.stop(interceptor, http, discovery, pods);
    }

    private void balance(String target) {
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                .service(BalancedService.builder(HOST).target(target).build()).build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        http = interceptor.newClientBuilder().connectTimeout(Duration.ofSeconds(1)).readTimeout(Duration.ofSeconds(2))
                .callTimeout(Duration.ofSeconds(10)).build();
    }

    private void get() throws IOException {
        try (Response response = http.newCall(new Request.Builder().url("http://" + HOST + ":" + pods.port() + "/").build())
                .execute()) {
            if (!response.isSuccessful()) {
                throw new IOException("status " + response.code());
            }
            String pod = response.body().string();
            answers.add(new long[] {System.nanoTime() / 1_000_000_000L, InetAddress.getByName(pod).getAddress()[3]});
        }
    }

    @Test
    void aStaticServiceRestartedPodByPodLosesNoCallAndNoPodTakesHalfTheLoad() throws Exception {
        discovery = Discovery.builder().build();
        StringBuilder target = new StringBuilder("static:///");
        for (String ip : PODS) {
            target.append(target.length() > 10 ? "," : "").append(ip).append(':').append(pods.port());
        }
        balance(target.toString());

        Restarts restarts = rollTwiceAround(ip -> {}, ip -> {});

        assertThat(restarts.done).hasValue(PODS.length * ROUNDS);
        assertThat(restarts.failures).as("calls that failed").isEmpty();
        assertThat(restarts.calls).isGreaterThan(1000);
        double largest = assertNoPodTookHalfOfAnySecond();
        System.out.println(String.format(java.util.Locale.ROOT, "RELIABILITY | rolling restart, 5 pods of a static target,"
                + " each down 1 s, twice around, default ejection | 4 threads of GETs | %d restarts | %d calls, %d failed;"
                + " the busiest pod took at most %.0f%% of any second's calls", restarts.done.get(), restarts.calls,
                restarts.failures.size(), largest * 100));
    }

    @Test
    void throughEndpointSlicesAReadyPodEndsItsEjectionAndNoCallIsLost() throws Exception {
        KubernetesApi.clear();
        KubernetesClient client = KubernetesApi.client();
        Set<String> notReady = ConcurrentHashMap.newKeySet();
        Runnable publish = () -> slice(client, notReady);
        publish.run();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
        balance("k8s:///backend.default:http");
        LoadBalancer lb = interceptor.loadBalancer(HOST);
        KubernetesApi.awaitWatching(ip -> !lb.endpoints().lookup(ip).isEmpty(), "default", "backend", "http", pods.port());
        List<String> ejectedWhileDown = new ArrayList<>();

        Restarts restarts = rollTwiceAround(ip -> {
            Load.sleep(300); // a crashed pod fails its readiness probe a little later
            notReady.add(ip);
            publish.run();
        }, ip -> {
            if (lb.isEjected(endpoint(lb, ip))) {
                ejectedWhileDown.add(ip);
            }
            notReady.remove(ip); // its readiness probe passes again
            publish.run();
            await("the ejection of " + ip + " ending once it is ready").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(10)).until(() -> !lb.isEjected(endpoint(lb, ip)));
        });

        assertThat(restarts.done).hasValue(PODS.length * ROUNDS);
        assertThat(restarts.failures).as("calls that failed").isEmpty();
        assertThat(restarts.calls).isGreaterThan(1000);
        double largest = assertNoPodTookHalfOfAnySecond();
        assertThat(ejectedWhileDown).as("pods ejected for the calls they failed before they were marked not ready")
                .hasSizeGreaterThanOrEqualTo(PODS.length);
        System.out.println("RELIABILITY | rolling restart, 5 pods via EndpointSlices, each down 1 s, twice around | 4 threads"
                + " of GETs | " + restarts.done + " restarts, " + ejectedWhileDown.size() + " pods ejected while down | "
                + restarts.calls + " calls, " + restarts.failures.size() + " failed; every ejection ended when its pod was"
                + " ready; the busiest pod took at most " + Math.round(largest * 100) + "% of any second's calls");
    }

    private static Endpoint endpoint(LoadBalancer lb, String ip) {
        return lb.endpoints().lookup(ip).get(0);
    }

    private void slice(KubernetesClient client, Set<String> notReady) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort();
        for (String ip : PODS) {
            boolean ready = !notReady.contains(ip);
            slice.addNewEndpoint().withAddresses(ip).withNewConditions().withReady(ready).withServing(ready)
                    .withTerminating(false).endConditions().endEndpoint();
        }
        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice.build())
                .createOr(existing -> existing.update());
    }

    private record Restarts(AtomicInteger done, List<String> failures, int calls) {}

    /**
     * Four threads call while each pod is stopped for a second and started again, one after another,
     * twice around; {@code stopped} and {@code started} run on the restarting thread after each stop and start.
     */
    private Restarts rollTwiceAround(java.util.function.Consumer<String> stopped,
                                     java.util.function.Consumer<String> started) throws InterruptedException {
        AtomicBoolean rolling = new AtomicBoolean(true);
        AtomicInteger done = new AtomicInteger();
        List<Throwable> chaosFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread chaos = new Thread(() -> {
            try {
                Load.sleep(1000);
                for (int round = 0; round < ROUNDS; round++) {
                    for (String ip : PODS) {
                        pods.stop(ip);
                        stopped.accept(ip);
                        Load.sleep(1000);
                        pods.start(ip);
                        started.accept(ip);
                        done.incrementAndGet();
                        Load.sleep(500);
                    }
                }
            } catch (RuntimeException | AssertionError e) {
                chaosFailures.add(e);
            } finally {
                rolling.set(false);
            }
        }, "rolling-restart");
        chaos.start();
        Load.Result result = Load.runUntil(4, () -> !rolling.get(), id -> get());
        chaos.join();
        assertThat(chaosFailures).as("the restarting thread's failures").isEmpty();
        return new Restarts(done, result.failures(), result.calls());
    }

    /** Returns the largest share one pod took of any second's calls. */
    private double assertNoPodTookHalfOfAnySecond() {
        Map<Long, Map<Long, Integer>> bySecond = new HashMap<>();
        for (long[] answer : answers) {
            bySecond.computeIfAbsent(answer[0], k -> new HashMap<>()).merge(answer[1], 1, Integer::sum);
        }
        int windows = 0;
        double largest = 0;
        for (Map.Entry<Long, Map<Long, Integer>> second : bySecond.entrySet()) {
            int total = second.getValue().values().stream().mapToInt(Integer::intValue).sum();
            if (total < 50) {
                continue; // the run's first and last partial seconds
            }
            windows++;
            for (Map.Entry<Long, Integer> pod : second.getValue().entrySet()) {
                largest = Math.max(largest, (double) pod.getValue() / total);
                assertThat((double) pod.getValue() / total)
                        .as("share of 127.0.0.%d in second %d (%d calls: %s)", pod.getKey(), second.getKey(), total,
                                second.getValue())
                        .isLessThanOrEqualTo(0.5);
            }
        }
        assertThat(windows).as("seconds with enough calls to judge").isGreaterThan(10);
        return largest;
    }
}
