package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.pick.Pickers;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** gRPC's retry policy on a podlb channel: each retry of a call goes to a pod the call has not tried. */
@Timeout(30)
class RetryTest {
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
    void aRetryOfAStickyCallGoesToAnotherPodThanTheOneThatFailed() {
        pods = new GrpcPods(PODS);
        PodlbPolicy policy = PodlbPolicy.builder().picker(Pickers.sticky()).ejection(EjectionPolicy.disabled()).build();
        channel = policy.applyTo(io.grpc.ManagedChannelBuilder.forTarget(pods.staticTarget(PODS)))
                .defaultServiceConfig(KubernetesChannelTest.retryPolicy()).enableRetry().usePlaintext().build();
        awaitAllConnected();
        CallOptions sticky = CallOptions.DEFAULT.withOption(PodlbGrpc.STICKY_KEY, "user-1");
        String home = GrpcPods.which(channel, sticky.withDeadlineAfter(10, TimeUnit.SECONDS));
        pods.failWith(home, Status.UNAVAILABLE.withDescription("restarting"));

        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            answered.add(GrpcPods.which(channel, sticky.withDeadlineAfter(10, TimeUnit.SECONDS)));
        }

        assertThat(pods.failed(home)).as("first attempts failed by the sticky key's pod").isEqualTo(10);
        assertThat(answered).doesNotContain(home).isNotEmpty();
    }

    private void awaitAllConnected() {
        GrpcPods.awaitEveryPodAnswers(channel, PODS.length);
    }
}
