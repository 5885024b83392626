package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sticky sessions through a whole load balancer: ejection, recovery and replicas that agree. */
class StickyLoadBalancingTest {
    private static final int KEYS = 100_000;
    private final ManualScheduler time = new ManualScheduler();

    private static List<Endpoint> pods(int n) {
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            pods.add(Endpoint.builder("10.1.0." + i, 8080).podName("backend-" + i).build());
        }
        return pods;
    }

    private static Endpoint[] assign(LoadBalancer lb) {
        Endpoint[] owners = new Endpoint[KEYS];
        for (int i = 0; i < KEYS; i++) {
            owners[i] = lb.pick(PickRequest.sticky("user-" + i));
        }
        return owners;
    }

    private LoadBalancer sticky(StaticResolver resolver) {
        return LoadBalancer.builder("carts").resolver(resolver).picker(Pickers.sticky()).scheduler(time).build();
    }

    @Test
    void ejectingAPodMovesOnlyItsKeysAndTheyComeBackWhenItRecovers() {
        List<Endpoint> pods = pods(10);
        try (LoadBalancer lb = sticky(StaticResolver.of(pods))) {
            Endpoint[] before = assign(lb);
            Endpoint failing = pods.get(4);
            for (int i = 0; i < 5; i++) {
                lb.report(failing, Outcome.response(503));
            }
            Endpoint[] during = assign(lb);
            for (int i = 0; i < KEYS; i++) {
                if (before[i].equals(failing)) {
                    assertThat(during[i]).isNotEqualTo(failing);
                } else {
                    assertThat(during[i]).as("key user-%d of a healthy pod", i).isEqualTo(before[i]);
                }
            }
            time.advance(Duration.ofSeconds(30));
            lb.report(failing, Outcome.response(200));
            assertThat(assign(lb)).containsExactly(before);
        }
    }

    @Test
    void replicasThatSawDifferentHistoriesMapEveryKeyAlike() {
        List<Endpoint> pods = pods(12);
        List<Endpoint> shuffled = new ArrayList<>(pods);
        Collections.shuffle(shuffled, new Random(7));
        StaticResolver early = StaticResolver.of(pods.subList(0, 5));
        try (LoadBalancer oldReplica = sticky(early);
             LoadBalancer newReplica = sticky(StaticResolver.of(shuffled))) {
            early.update(pods.subList(3, 12));
            early.update(pods);
            time.advance(LoadBalancerBuilder.DEFAULT_COALESCE);
            assertThat(oldReplica.endpoints().size()).isEqualTo(12);
            assertThat(assign(oldReplica)).containsExactly(assign(newReplica));
        }
    }
}
