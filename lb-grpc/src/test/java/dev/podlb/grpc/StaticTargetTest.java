package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One channel to five pods named by a {@code podlb+static:///} target. */
@Timeout(30)
class StaticTargetTest {
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};

    private GrpcPods pods;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (pods != null) {
            pods.close();
        }
    }

    @Test
    void everyCallIsPickedSoOneChannelSpreadsOverEveryPod() {
        pods = new GrpcPods(PODS);
        channel = PodlbGrpc.forTarget(pods.staticTarget(PODS)).usePlaintext().build();
        awaitAllConnected(PODS.length);

        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            answers.merge(GrpcPods.which(channel), 1, Integer::sum);
        }

        assertThat(answers).containsOnlyKeys(PODS);
        assertThat(answers.values()).containsOnly(20);
    }

    @Test
    void serversClosingEveryConnectionAfterAMomentFailNoCall() throws Exception {
        pods = new GrpcPods(Duration.ofMillis(200), PODS);
        channel = PodlbGrpc.forTarget(pods.staticTarget(PODS)).usePlaintext().build();
        awaitAllConnected(PODS.length);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.Set<String> reached = java.util.concurrent.ConcurrentHashMap.newKeySet();
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        java.util.List<Thread> callers = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread caller = new Thread(() -> {
                while (System.nanoTime() < until) {
                    try {
                        reached.add(GrpcPods.which(channel));
                        calls.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            });
            caller.start();
            callers.add(caller);
        }
        for (Thread caller : callers) {
            caller.join(10_000);
        }

        assertThat(failures).isEmpty();
        assertThat(reached).containsExactlyInAnyOrder(PODS);
        assertThat(calls.get()).isGreaterThan(100);
        // Each pod's connection lives about 200 ms: while the calls ran, each was replaced.
        for (String ip : PODS) {
            assertThat(pods.connections(ip)).as("connections accepted by %s", ip).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void theChannelIsConnectingThenReadyThenTransientFailureWhenEveryPodIsGone() throws Exception {
        pods = new GrpcPods("127.0.0.2", "127.0.0.3");
        channel = PodlbGrpc.forTarget(pods.staticTarget("127.0.0.2", "127.0.0.3")).usePlaintext().build();
        assertThat(channel.getState(true)).isIn(ConnectivityState.IDLE, ConnectivityState.CONNECTING);

        await().atMost(Duration.ofSeconds(10)).until(() -> channel.getState(false) == ConnectivityState.READY);
        pods.stop("127.0.0.2");
        pods.stop("127.0.0.3");

        await().atMost(Duration.ofSeconds(10)).until(() -> channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE);
        assertThatThrownBy(() -> GrpcPods.which(channel))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("no pod of service", "is connected");
                });
    }

    @Test
    void aMalformedTargetFailsTheChannelsBuildNamingWhatIsWrong() {
        PodlbGrpc.register();
        assertThatThrownBy(() -> ManagedChannelBuilder.forTarget("podlb+static:///127.0.0.2").usePlaintext().build())
                .hasMessageContaining("127.0.0.2").hasMessageContaining("no port");
        assertThatThrownBy(() -> ManagedChannelBuilder.forTarget("k8s://cluster/backend.default:grpc").usePlaintext().build())
                .hasMessageContaining("three slashes");
    }

    @Test
    void grpcsOwnDnsSchemeStaysGrpcs() {
        PodlbGrpc.register();
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("dns"))
                .isNotInstanceOf(PodlbNameResolverProvider.class);
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("k8s"))
                .isInstanceOf(KubernetesNameResolverProvider.class);
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("podlb+dns"))
                .isInstanceOf(DnsNameResolverProvider.class);
    }

    @Test
    void podlbTargetsBecomeTheGrpcTargetsOfPodlbsResolvers() {
        assertThat(PodlbGrpc.grpcTarget("dns:///backend.default.svc.cluster.local:9090"))
                .isEqualTo("podlb+dns:///backend.default.svc.cluster.local:9090");
        assertThat(PodlbGrpc.grpcTarget("static:///10.0.0.1:9090,10.0.0.2:9090"))
                .isEqualTo("podlb+static:///10.0.0.1:9090,10.0.0.2:9090");
        assertThat(PodlbGrpc.grpcTarget("k8s:///backend.default:grpc")).isEqualTo("k8s:///backend.default:grpc");
        assertThatThrownBy(() -> PodlbGrpc.grpcTarget("backend:9090")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backend:9090");
    }

    private void awaitAllConnected(int n) {
        GrpcPods.awaitEveryPodAnswers(channel, n);
    }
}
