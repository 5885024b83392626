package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerBuilder;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.time.ManualScheduler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import mockwebserver3.MockResponse;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/**
 * Faults a cluster produces every day, under load, with three pods on 127.0.0.2–4 behind the test
 * DNS server: nothing the caller should not see reaches it, and nothing is sent twice. Each test
 * prints a {@code RELIABILITY |} line with its figures.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FaultToleranceTest {
    static final String HOST = "backend.default.svc.cluster.local";
    static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

    private TestDnsServer dns;
    private Discovery discovery;
    private LocalPods pods;
    private LoadBalancingInterceptor interceptor;
    private OkHttpClient client;
    private final AtomicInteger retries = new AtomicInteger();

    @BeforeEach
    void startCluster() throws IOException {
        dns = new TestDnsServer();
        dns.a(HOST, 1, PODS);
        pods = new LocalPods(PODS);
        discovery = Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).build()).build();
    }

    @AfterEach
    void stopCluster() {
        if (interceptor != null) {
            interceptor.close();
        }
        if (client != null) {
            client.dispatcher().executorService().shutdown();
        }
        discovery.close();
        pods.close();
        dns.close();
    }

    private void client(Duration readTimeout) {
        client(readTimeout, lb -> {});
    }

    private void client(Duration readTimeout, Consumer<LoadBalancerBuilder> customizer) {
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                .service(BalancedService.builder(HOST).target("dns:///" + HOST + ":" + pods.port())
                        .ejection(EjectionPolicy.builder().consecutiveFailures(3).baseEjectionTime(Duration.ofSeconds(1))
                                .maxEjectionTime(Duration.ofSeconds(5)).build())
                        .customize(customizer)
                        .build())
                .listener(new CallListener() {
                    @Override
                    public void retrying(String service, Request request, Endpoint pod, Outcome outcome, int next) {
                        retries.incrementAndGet();
                    }
                })
                .build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        client = new OkHttpClient.Builder().addInterceptor(interceptor)
                .connectTimeout(Duration.ofSeconds(1)).readTimeout(readTimeout).callTimeout(Duration.ofSeconds(10)).build();
    }

    private String url() {
        return "http://" + HOST + ":" + pods.port() + "/";
    }

    @Test
    void getsSucceedWhilePodsRestartOneAtATime() throws Exception {
        client(Duration.ofSeconds(2));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger restarts = new AtomicInteger();
        Thread chaos = pods.restartOneAtATime(PODS, running, restarts);
        long start = System.nanoTime();

        List<String> failures = Load.run(2, 20_000, id -> {
            try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                if (!response.isSuccessful()) {
                    throw new IOException("status " + response.code());
                }
                response.body().string();
            }
        });
        running.set(false);
        chaos.join();

        Load.report("GETs while pods restart one at a time every 500 ms (DNS)", "2 threads x 20,000 GETs",
                restarts.get() + " pod restarts in " + (System.nanoTime() - start) / 1_000_000 + " ms",
                failures.size() + " failed calls; " + retries.get() + " attempts retried on another pod");
        assertThat(failures).isEmpty();
    }

    @Test
    void postsAreNeverReceivedTwiceAndEverySuccessWasReceivedOnce() throws Exception {
        client(Duration.ofSeconds(2));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger restarts = new AtomicInteger();
        Thread chaos = pods.restartOneAtATime(PODS, running, restarts);
        Set<String> succeeded = ConcurrentHashMap.newKeySet();

        List<String> failures = Load.run(2, 20_000, id -> {
            Request post = new Request.Builder().url(url()).header("X-Request-Id", id)
                    .post(RequestBody.create("order " + id, MediaType.get("text/plain"))).build();
            try (Response response = client.newCall(post).execute()) {
                response.body().string();
                if (response.isSuccessful()) {
                    succeeded.add(id);
                }
            }
        });
        running.set(false);
        chaos.join();

        long twice = pods.receivedById().values().stream().filter(n -> n.get() > 1).count();
        long successesNotReceivedOnce = succeeded.stream().filter(id -> pods.received(id) != 1).count();
        Load.report("POSTs while pods restart one at a time every 500 ms (DNS)", "2 threads x 20,000 POSTs",
                restarts.get() + " pod restarts", succeeded.size() + " succeeded, " + failures.size()
                        + " failed to the caller; " + twice + " received twice; " + successesNotReceivedOnce
                        + " successes not received exactly once");
        assertThat(twice).isZero();
        assertThat(successesNotReceivedOnce).isZero();
    }

    @Test
    void hangingPodIsEjectedWithinTheCallTimeoutAndTheOthersTakeTheTraffic() throws Exception {
        pods.behaviour(ip -> ip.equals("127.0.0.3")
                ? new MockResponse.Builder().headersDelay(1, TimeUnit.MINUTES).body("late").build()
                : new MockResponse.Builder().body(ip).build());
        client(Duration.ofMillis(300));

        // A call that can only go to the hanging pod ends at its call timeout, not later.
        OkHttpClient patient = client.newBuilder().readTimeout(Duration.ofMinutes(2)).callTimeout(Duration.ofMillis(500)).build();
        Request pinned = new Request.Builder().url(url()).tag(PickRequest.class, PickRequest.pinned("127.0.0.3")).build();
        assertThatThrownBy(() -> patient.newCall(pinned).execute()).isInstanceOf(InterruptedIOException.class);

        List<String> failures = Load.run(2, 300, id -> {
            try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                if (response.body().string().equals("late")) {
                    throw new IOException("answered by the hanging pod");
                }
            }
        });
        LoadBalancer lb = interceptor.loadBalancer(HOST);
        boolean ejected = lb.endpoints().endpoints().stream()
                .anyMatch(e -> e.address().getHostAddress().equals("127.0.0.3") && lb.isEjected(e));
        Load.report("a pod that accepts and never answers (DNS)", "2 threads x 300 GETs, read timeout 300 ms",
                "127.0.0.3 hangs", failures.size() + " failed calls; a call pinned to it ends at its 500 ms call timeout;"
                        + " hanging pod ejected: " + ejected);
        assertThat(failures).isEmpty();
        assertThat(ejected).isTrue();
    }

    @Test
    void dnsSilentForTenSecondsThenChangedCallsKeepSucceedingThenFollowIt() throws Exception {
        // DNS refreshes, their backoff, the cached answers' TTLs and the staleness limit run on this
        // clock, and so do the load balancer's ejection timers; only a query's own 300 ms timeout
        // is real time.
        ManualScheduler clock = new ManualScheduler();
        discovery.close();
        discovery = Discovery.builder().dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).scheduler(clock)
                .queryTimeout(Duration.ofMillis(300)).build()).build();
        client(Duration.ofSeconds(2), lb -> lb.scheduler(clock));
        int queriesBefore = dns.queries(HOST, Type.A);
        dns.mode(TestDnsServer.Mode.SILENT);
        Duration step = Duration.ofMillis(100);
        int during = 0;
        List<String> failures = new ArrayList<>();
        for (Duration silent = Duration.ZERO; silent.compareTo(Duration.ofSeconds(10)) < 0; silent = silent.plus(step)) {
            advance(clock, step);
            for (int i = 0; i < 5; i++) {
                try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                    response.body().string();
                    during++;
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            }
        }
        int queriesDuringSilence = dns.queries(HOST, Type.A) - queriesBefore;
        pods.start("127.0.0.5");
        dns.a(HOST, 1, "127.0.0.5");
        dns.mode(TestDnsServer.Mode.ANSWER);
        Duration followed = Duration.ZERO;
        while (!get().equals("127.0.0.5")) {
            assertThat(followed).as("simulated time for the changed answer to be followed").isLessThan(Duration.ofSeconds(60));
            advance(clock, step);
            followed = followed.plus(step);
        }
        Map<String, Integer> after = new java.util.HashMap<>();
        for (int i = 0; i < 30; i++) {
            after.merge(get(), 1, Integer::sum);
        }
        Load.report("DNS server silent for 10 s (simulated clock), then answering with a changed set",
                during + " GETs during the silence, 5 per 100 ms step",
                "no DNS answer for 10 s (" + queriesDuringSilence + " A queries in all, backing off); then the answer lists"
                        + " only 127.0.0.5",
                failures.size() + " failed calls during the silence; the change followed " + followed.toMillis()
                        + " ms (simulated) after DNS answered; afterwards 30 of 30 GETs on " + after.keySet());
        assertThat(failures).isEmpty();
        assertThat(after).containsOnlyKeys("127.0.0.5");
    }

    /**
     * Moves the clock on by {@code step}, then waits for a DNS refresh that started to get its
     * answer (or time out, in real time) and plan the next: the resolver always has one planned.
     */
    private static void advance(ManualScheduler clock, Duration step) {
        clock.advance(step);
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> clock.pendingTasks() > 0);
    }

    private String get() throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
            return response.body().string();
        }
    }

    @Test
    void allPodsDownFailsFastWithAClearErrorAndRecoversWhenOneReturns() throws Exception {
        client(Duration.ofSeconds(2));
        for (String ip : PODS) {
            pods.stop(ip);
        }
        List<String> errors = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                errors.add("unexpected success " + response.code());
            } catch (IOException e) {
                errors.add(e.getMessage());
            }
        }
        long failingMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(errors).allSatisfy(message -> assertThat(message).contains(HOST));

        pods.start("127.0.0.3");
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            try (Response response = client.newCall(new Request.Builder().url(url()).build()).execute()) {
                return response.isSuccessful();
            } catch (IOException stillDown) {
                return false;
            }
        });
        Load.report("all pods down, then one returns (DNS)", "20 GETs while down",
                "3 of 3 pods stopped; 127.0.0.3 restarted", "20 of 20 failed with an IOException naming the service (e.g. \""
                        + errors.get(0) + "\") in " + failingMillis + " ms in all; calls succeed again once 127.0.0.3 is back,"
                        + " same client");
    }
}
