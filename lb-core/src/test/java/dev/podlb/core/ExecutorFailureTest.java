package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** A load balancer whose executor throws instead of taking work: no thread is started here. */
class ExecutorFailureTest {
    private final Endpoint a = Endpoint.of("10.0.0.1", 8080);
    private final Endpoint b = Endpoint.of("10.0.0.2", 8080);
    private final Endpoint c = Endpoint.of("10.0.0.3", 8080);

    /** Throws on its first hand-over, then runs each task at once on the caller. */
    private static final class ThrowsOnce implements Executor {
        int thrown;

        @Override
        public void execute(Runnable command) {
            if (thrown++ == 0) {
                throw new IllegalStateException("executor misconfigured");
            }
            command.run();
        }
    }

    @Test
    void anExecutorThatThrowsOnceLeavesTheLoadBalancerApplyingSetsAndEjections() {
        ManualScheduler time = new ManualScheduler();
        ThrowsOnce executor = new ThrowsOnce();
        StaticResolver pods = StaticResolver.of(a);
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(pods).scheduler(time).executor(executor)
                .coalesceUpdates(Duration.ZERO).build()) {
            pods.update(List.of(a, b));
            assertThat(executor.thrown).as("the executor's failure was injected and met").isPositive();
            assertThat(lb.endpoints().size()).isEqualTo(2);

            pods.update(List.of(a, b, c));
            assertThat(lb.endpoints().size()).as("a later set is applied too").isEqualTo(3);
            for (int i = 0; i < 5; i++) {
                lb.report(b, Outcome.connectFailure(new ConnectException("refused")));
            }
            assertThat(lb.isEjected(b)).as("and a later ejection").isTrue();
        }
    }
}
