package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.Pickers;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import com.google.common.util.concurrent.ListenableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What each call's status does to the pod that answered it: ejection, latency, in-flight counts. */
@Timeout(60)
class OutcomeTest {
    private static final String[] PODS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};

    private final List<String> ejected = new CopyOnWriteArrayList<>();
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
    void aPodAnsweringUnavailableIsEjectedAndOnlyIt() {
        pods = new GrpcPods(PODS);
        PodlbPolicy policy = policy(PodlbPolicy.builder());
        channel = channel(policy, PODS);
        LoadBalancer lb = awaitAllConnected(policy);
        pods.failWith("127.0.0.4", Status.UNAVAILABLE.withDescription("overloaded"));

        int failedCalls = 0;
        for (int i = 0; i < 100 && ejected.isEmpty(); i++) {
            try {
                GrpcPods.which(channel);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                failedCalls++;
            }
        }
        int failuresBefore = pods.failed("127.0.0.4");
        for (int i = 0; i < 50; i++) {
            assertThat(GrpcPods.which(channel)).isNotEqualTo("127.0.0.4");
        }

        // The third failure in a row ejects; the ejection is applied on the load balancer's serial context, on a
        // podlb thread, so calls started meanwhile may still reach the pod (how many depends on the machine's load).
        assertThat(failuresBefore).isGreaterThanOrEqualTo(3);
        assertThat(failedCalls).isEqualTo(failuresBefore);
        assertThat(pods.failed("127.0.0.4")).isEqualTo(failuresBefore);
        assertThat(ejected).containsExactly("127.0.0.4");
        assertThat(lb.isEjected(endpoint(lb, "127.0.0.4"))).isTrue();
        assertThat(lb.status().ejected()).isEqualTo(1);
    }

    @Test
    void notFoundIsThePodsAnswerNotItsFailureButListedCodesAre() {
        pods = new GrpcPods(PODS);
        PodlbPolicy policy = policy(PodlbPolicy.builder().failureStatusCodes(
                EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED)));
        channel = channel(policy, PODS);
        LoadBalancer lb = awaitAllConnected(policy);
        pods.failWith("127.0.0.3", Status.NOT_FOUND);
        pods.failWith("127.0.0.5", Status.RESOURCE_EXHAUSTED);

        for (int i = 0; i < 40; i++) {
            try {
                GrpcPods.which(channel);
            } catch (StatusRuntimeException expected) {
                assertThat(expected.getStatus().getCode()).isIn(Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED);
            }
        }

        assertThat(pods.failed("127.0.0.3")).isGreaterThanOrEqualTo(3);
        assertThat(pods.failed("127.0.0.5")).isGreaterThanOrEqualTo(3);
        // The ejection is decided on the load balancer's serial context, on a podlb thread: wait for its event.
        await().atMost(Duration.ofSeconds(5)).until(() -> !ejected.isEmpty());
        assertThat(ejected).containsExactly("127.0.0.5");
        assertThat(lb.stats(endpoint(lb, "127.0.0.3")).consecutiveFailures()).isZero();
    }

    @Test
    void aCallCountsInFlightFromItsStreamsStartToItsCloseNotToItsHeaders() throws Exception {
        pods = new GrpcPods("127.0.0.2");
        pods.delay("127.0.0.2", 400);
        // A picker that reads latency: a load balancer keeps a pod's latency only then.
        PodlbPolicy policy = policy(PodlbPolicy.builder().picker(Pickers.leastRequest().latencyAware(true)));
        channel = channel(policy, "127.0.0.2");
        channel.getState(true); // leaves idle: the policy and its load balancer start
        await().atMost(Duration.ofSeconds(10)).until(() -> !policy.loadBalancers().isEmpty());
        LoadBalancer lb = policy.loadBalancers().get(0);
        Endpoint pod = endpoint(lb, "127.0.0.2");

        ListenableFuture<String> call = ClientCalls.futureUnaryCall(channel.newCall(GrpcPods.WHICH,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), "which");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> lb.stats(pod).inFlight() == 1);
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("127.0.0.2");

        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 0);
        assertThat(Duration.ofNanos(lb.stats(pod).latencyNanos())).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void aRoundRobinChannelKeepsEachPodsLatencyOnlyWithRecordLatency() throws Exception {
        pods = new GrpcPods("127.0.0.2");
        pods.delay("127.0.0.2", 50);
        assertThat(latencyAfterOneCall(policy(PodlbPolicy.builder().recordLatency())))
                .isGreaterThanOrEqualTo(Duration.ofMillis(50));
        assertThat(latencyAfterOneCall(policy(PodlbPolicy.builder()))).isZero();
    }

    /** The latency figure of the one pod at 127.0.0.2 once a call to it, through a channel of {@code policy}, has ended. */
    private Duration latencyAfterOneCall(PodlbPolicy policy) throws InterruptedException {
        ManagedChannel channel = channel(policy, "127.0.0.2");
        try {
            assertThat(GrpcPods.which(channel)).isEqualTo("127.0.0.2");
            LoadBalancer lb = policy.loadBalancers().get(0);
            Endpoint pod = endpoint(lb, "127.0.0.2");
            // The attempt ends when its stream closes, which may come after the call has returned.
            await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 0);
            return Duration.ofNanos(lb.stats(pod).latencyNanos());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDeadlineCountsAgainstThePodAndACallTheClientCancelsDoesNot() throws Exception {
        pods = new GrpcPods("127.0.0.2");
        PodlbPolicy policy = policy(PodlbPolicy.builder());
        channel = channel(policy, "127.0.0.2");
        GrpcPods.awaitEveryPodAnswers(channel, 1);
        LoadBalancer lb = policy.loadBalancers().get(0);
        Endpoint pod = endpoint(lb, "127.0.0.2");
        pods.delay("127.0.0.2", 1000);

        assertThatThrownBy(() -> GrpcPods.which(channel, CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.MILLISECONDS)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 0);
        assertThat(lb.stats(pod).consecutiveFailures()).isEqualTo(1);

        ListenableFuture<String> cancelled = ClientCalls.futureUnaryCall(channel.newCall(GrpcPods.WHICH,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), "which");
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 1);
        cancelled.cancel(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 0);

        assertThat(cancelled.isCancelled()).isTrue();
        assertThat(lb.stats(pod).consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void aDeadlineOfTheCallersContextCountsAgainstThePodToo() throws Exception {
        pods = new GrpcPods("127.0.0.2");
        PodlbPolicy policy = policy(PodlbPolicy.builder());
        channel = channel(policy, "127.0.0.2");
        GrpcPods.awaitEveryPodAnswers(channel, 1);
        LoadBalancer lb = policy.loadBalancers().get(0);
        Endpoint pod = endpoint(lb, "127.0.0.2");
        pods.delay("127.0.0.2", 1000);
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            io.grpc.Context.CancellableContext context = io.grpc.Context.current()
                    .withDeadlineAfter(100, TimeUnit.MILLISECONDS, timer);
            assertThatThrownBy(() -> context.call(() -> GrpcPods.which(channel, CallOptions.DEFAULT)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        } finally {
            timer.shutdownNow();
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> lb.stats(pod).inFlight() == 0);
        assertThat(lb.stats(pod).consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void latencyAwareLeastRequestAvoidsASlowPod() {
        pods = new GrpcPods(PODS);
        PodlbPolicy policy = policy(PodlbPolicy.builder().picker(Pickers.leastRequest().latencyAware(true)));
        channel = channel(policy, PODS);
        awaitAllConnected(policy);
        pods.delay("127.0.0.3", 150);
        // One call pinned to it shows podlb that it is slow now (in-flight counts alone would not).
        long pinnedStart = System.nanoTime();
        assertThat(GrpcPods.which(channel, CallOptions.DEFAULT.withOption(PodlbGrpc.PIN, "127.0.0.3:" + pods.port())
                .withDeadlineAfter(10, TimeUnit.SECONDS))).isEqualTo("127.0.0.3");
        assertThat(Duration.ofNanos(System.nanoTime() - pinnedStart)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
        int slowBefore = pods.answered("127.0.0.3");

        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            answers.merge(GrpcPods.which(channel), 1, Integer::sum);
        }

        int slow = pods.answered("127.0.0.3") - slowBefore;
        // Round-robin, or least-request without latency, would send it about 40 of 200.
        assertThat(slow).isLessThan(10);
        assertThat(answers.keySet()).contains("127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.6");
    }

    @Test
    void aStoppedPodIsNotPickedWhileOthersAreConnected() throws Exception {
        pods = new GrpcPods(PODS);
        PodlbPolicy policy = policy(PodlbPolicy.builder());
        channel = channel(policy, PODS);
        awaitAllConnected(policy);

        pods.stop("127.0.0.4");
        Set<String> reached = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            reached.add(GrpcPods.which(channel));
        }

        assertThat(reached).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.6");
    }

    private PodlbPolicy policy(PodlbPolicy.Builder builder) {
        return builder.ejection(EjectionPolicy.builder().consecutiveFailures(3).build())
                .listener(new LoadBalancerListener() {
                    @Override
                    public void ejected(String service, Endpoint endpoint, Duration duration) {
                        ejected.add(endpoint.address().getHostAddress());
                    }
                }).build();
    }

    private ManagedChannel channel(PodlbPolicy policy, String... ips) {
        return policy.applyTo(io.grpc.ManagedChannelBuilder.forTarget(pods.staticTarget(ips))).usePlaintext().build();
    }

    /** Calls until every pod has answered, so that every subchannel is READY (none goes down here). */
    private LoadBalancer awaitAllConnected(PodlbPolicy policy) {
        channel.getState(true); // leaves idle: the policy and its load balancer start
        await().atMost(Duration.ofSeconds(10)).until(() -> !policy.loadBalancers().isEmpty());
        GrpcPods.awaitEveryPodAnswers(channel, PODS.length);
        return policy.loadBalancers().get(0);
    }

    private static Endpoint endpoint(LoadBalancer lb, String ip) {
        return lb.endpoints().lookup(ip).get(0);
    }
}
