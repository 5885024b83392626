package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Channels to {@code k8s:///backend.default:grpc}, fed by EndpointSlices on fabric8's mock API server. */
@Timeout(60)
class KubernetesChannelTest {
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};
    private static final String TARGET = "k8s:///backend.default:grpc";
    /** Where a probe endpoint shows that the watch is live; nothing listens there, which the policy tolerates. */
    private static final String PROBE = "127.0.0.9";

    private enum State { READY, TERMINATING }

    /** Zones of the slice's endpoints, by address; zone-b for those not named. */
    private final Map<String, String> zones = new HashMap<>();
    /** The slice's endpoints as the test last wrote them, by address. */
    private final Map<String, State> slice = new LinkedHashMap<>();
    private GrpcPods pods;
    private Discovery discovery;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        KubernetesApi.clear();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(KubernetesApi.client())).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (discovery != null) {
            discovery.close();
        }
        if (pods != null) {
            pods.close();
        }
    }

    @Test
    void aPodAddedToTheSliceGetsCallsWithinOneSecond() {
        pods = new GrpcPods(PODS);
        writeSlice(List.of("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"));
        PodlbPolicy policy = PodlbPolicy.builder().build();
        channel = channel(policy, null);
        LoadBalancer lb = awaitWatching(policy);

        slice.put("127.0.0.6", State.READY);
        writeSlice();
        long written = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                .until(() -> GrpcPods.which(channel).equals("127.0.0.6"));

        assertThat(Duration.ofNanos(System.nanoTime() - written)).isLessThan(Duration.ofSeconds(1));
        assertThat(lb.endpoints().lookup("127.0.0.6")).isNotEmpty();
    }

    @Test
    void aRollingRestartUnderFourThreadsOfCallsWithARetryPolicyFailsNoCall() throws Exception {
        pods = new GrpcPods(PODS);
        writeSlice(List.of(PODS));
        PodlbPolicy policy = PodlbPolicy.builder().build();
        channel = channel(policy, retryPolicy());
        awaitWatching(policy);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger calls = new AtomicInteger();
        List<Throwable> failures = new ArrayList<>();
        Map<String, AtomicInteger> byPod = new ConcurrentHashMap<>();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread caller = new Thread(() -> {
                while (running.get()) {
                    try {
                        byPod.computeIfAbsent(GrpcPods.which(channel), k -> new AtomicInteger()).incrementAndGet();
                        calls.incrementAndGet();
                    } catch (RuntimeException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }
            }, "caller-" + t);
            caller.start();
            callers.add(caller);
        }
        int restarts = 0;
        for (String ip : PODS) {
            int before = calls.get();
            // As Kubernetes replaces a pod: it turns terminating, its server stops (GOAWAY, open calls finish), it
            // leaves the slice, and the new pod comes back on the same address, then is ready.
            slice.put(ip, State.TERMINATING);
            writeSlice();
            Thread.sleep(200);
            pods.stop(ip);
            slice.remove(ip);
            writeSlice();
            Thread.sleep(100);
            pods.start(ip);
            slice.put(ip, State.READY);
            writeSlice();
            restarts++;
            await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() > before + 50);
        }
        running.set(false);
        for (Thread caller : callers) {
            caller.join(10_000);
        }

        assertThat(restarts).isEqualTo(PODS.length);
        assertThat(failures).isEmpty();
        assertThat(calls.get()).isGreaterThan(250);
        assertThat(byPod).containsOnlyKeys(PODS);
    }

    @Test
    void callsWithTheSameStickyKeyReachTheSamePodFromMetadataOrCallOptions() {
        pods = new GrpcPods(PODS);
        writeSlice(List.of(PODS));
        PodlbPolicy policy = PodlbPolicy.builder().picker(Pickers.sticky()).stickyMetadataKey("x-session-id").build();
        channel = channel(policy, null);
        awaitWatching(policy);
        awaitAllConnected(policy);

        Map<String, Set<String>> podsBySession = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            String session = "session-" + (i % 20);
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("x-session-id", Metadata.ASCII_STRING_MARSHALLER), session);
            String pod = (String) io.grpc.stub.ClientCalls.blockingUnaryCall(
                    io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                    GrpcPods.WHICH, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "which");
            podsBySession.computeIfAbsent(session, k -> new HashSet<>()).add(pod);
        }
        Set<String> byOption = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            byOption.add(GrpcPods.which(channel, CallOptions.DEFAULT.withOption(PodlbGrpc.STICKY_KEY, "session-3")
                    .withDeadlineAfter(10, TimeUnit.SECONDS)));
        }

        assertThat(podsBySession.values()).allSatisfy(reached -> assertThat(reached).hasSize(1));
        Set<String> used = new HashSet<>();
        podsBySession.values().forEach(used::addAll);
        assertThat(used).hasSizeGreaterThan(1);
        assertThat(byOption).isEqualTo(podsBySession.get("session-3"));
    }

    @Test
    void aPinnedCallReachesItsPodByNameAndNeverAnAddressDiscoveryDidNotReturn() {
        pods = new GrpcPods(PODS);
        writeSlice(List.of(PODS));
        PodlbPolicy policy = PodlbPolicy.builder().build();
        channel = channel(policy, null);
        awaitWatching(policy);
        awaitAllConnected(policy);

        for (int i = 0; i < 10; i++) {
            assertThat(GrpcPods.which(channel, CallOptions.DEFAULT.withOption(PodlbGrpc.PIN, "backend-4")
                    .withDeadlineAfter(10, TimeUnit.SECONDS))).isEqualTo("127.0.0.4");
        }
        assertThatThrownBy(() -> GrpcPods.which(channel, CallOptions.DEFAULT
                .withOption(PodlbGrpc.PIN, "127.0.0.7:" + pods.port()).withDeadlineAfter(10, TimeUnit.SECONDS)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("127.0.0.7");
                });
        assertThat(pods.answered("127.0.0.4")).isGreaterThanOrEqualTo(10);
    }

    @Test
    void aTerminatingPodTakesNoNewCallsAndItsOpenCallsFinishAfterItLeavesTheSet() throws Exception {
        pods = new GrpcPods(PODS);
        writeSlice(List.of(PODS));
        PodlbPolicy policy = PodlbPolicy.builder().build();
        channel = channel(policy, null);
        LoadBalancer lb = awaitWatching(policy);
        awaitAllConnected(policy);
        pods.delay("127.0.0.4", 4000);
        com.google.common.util.concurrent.ListenableFuture<String> open = io.grpc.stub.ClientCalls.futureUnaryCall(
                channel.newCall(GrpcPods.WHICH, CallOptions.DEFAULT.withOption(PodlbGrpc.PIN, "backend-4")
                        .withDeadlineAfter(20, TimeUnit.SECONDS)), "which");
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(lb.endpoints().lookup("127.0.0.4").get(0)).inFlight() == 1);

        slice.put("127.0.0.4", State.TERMINATING);
        writeSlice();
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.endpoints().terminatingCount() == 1);
        Set<String> reached = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            reached.add(GrpcPods.which(channel));
        }
        slice.remove("127.0.0.4");
        writeSlice();
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.endpoints().lookup("127.0.0.4").isEmpty());

        assertThat(reached).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.6");
        assertThat(open.isDone()).as("the open call is still running when its pod leaves the set").isFalse();
        assertThat(open.get(20, TimeUnit.SECONDS)).isEqualTo("127.0.0.4");
    }

    @Test
    void callsStayInTheClientsZoneFromTheSlicesZones() {
        pods = new GrpcPods(PODS);
        zones.put("127.0.0.2", "zone-a");
        zones.put("127.0.0.3", "zone-a");
        writeSlice(List.of(PODS));
        PodlbPolicy policy = PodlbPolicy.builder().topology(TopologyPolicy.builder()
                .locality(Locality.of("zone-a", null)).preferSameZone().spillOver(false).build()).build();
        channel = channel(policy, null);
        LoadBalancer lb = awaitWatching(policy);

        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            answers.merge(GrpcPods.which(channel), 1, Integer::sum);
        }

        assertThat(answers).containsOnlyKeys("127.0.0.2", "127.0.0.3");
        assertThat(lb.endpoints().lookup("127.0.0.4").get(0).zone()).contains("zone-b");
    }

    private ManagedChannel channel(PodlbPolicy policy, Map<String, ?> serviceConfig) {
        var builder = policy.applyTo(io.grpc.ManagedChannelBuilder.forTarget(TARGET))
                .setNameResolverArg(PodlbGrpc.DISCOVERY, discovery).usePlaintext();
        if (serviceConfig != null) {
            builder.defaultServiceConfig(serviceConfig).enableRetry();
        }
        return builder.build();
    }

    /** gRPC's retry policy for {@code test.Pods}: UNAVAILABLE is tried again, up to 5 attempts. */
    static Map<String, ?> retryPolicy() {
        return Map.of("methodConfig", List.of(Map.of(
                "name", List.of(Map.of("service", "test.Pods")),
                "retryPolicy", Map.of("maxAttempts", 5.0, "initialBackoff", "0.02s", "maxBackoff", "0.2s",
                        "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE")))));
    }

    /**
     * Starts the channel and waits until a probe endpoint written to the slice reaches its load
     * balancer, so that the watch is live: the mock API server does not replay changes made between
     * the informer's list and its watch.
     */
    private LoadBalancer awaitWatching(PodlbPolicy policy) {
        channel.getState(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !policy.loadBalancers().isEmpty());
        LoadBalancer lb = policy.loadBalancers().get(0);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!lb.endpoints().lookup(PROBE).isEmpty()) {
                return true;
            }
            slice.put(PROBE, State.READY);
            writeSlice();
            return false;
        });
        slice.remove(PROBE);
        writeSlice();
        await().atMost(Duration.ofSeconds(10)).until(() -> lb.endpoints().lookup(PROBE).isEmpty());
        return lb;
    }

    private void awaitAllConnected(PodlbPolicy policy) {
        GrpcPods.awaitEveryPodAnswers(channel, PODS.length);
    }

    private void writeSlice(List<String> ready) {
        slice.clear();
        ready.forEach(ip -> slice.put(ip, State.READY));
        writeSlice();
    }

    /** Writes the one slice of service backend, port grpc, with the endpoints in {@link #slice}; pod names backend-N. */
    private void writeSlice() {
        EndpointSliceBuilder builder = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("grpc").withPort(pods.port()).withProtocol("TCP").endPort();
        slice.forEach((ip, state) -> builder.addNewEndpoint().withAddresses(ip)
                .withNewConditions().withReady(state == State.READY).withServing(true)
                .withTerminating(state == State.TERMINATING).endConditions()
                .withZone(zones.getOrDefault(ip, "zone-b"))
                .withNewTargetRef().withKind("Pod").withNamespace("default")
                .withName("backend-" + ip.substring(ip.lastIndexOf('.') + 1)).endTargetRef()
                .endEndpoint());
        KubernetesApi.client().discovery().v1().endpointSlices().inNamespace("default").resource(builder.build())
                .createOr(existing -> existing.update());
    }
}
