package dev.podlb.core.pick;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sticky with bounded load, through a load balancer whose requests in flight the test holds open:
 * keys stay where plain sticky puts them while their pod is under the bound, move only off a pod at
 * it, and a hot key range cannot pile its requests on one pod.
 */
class StickyBoundedLoadTest {
    private static final int KEYS = 10_000;
    private final List<Endpoint> pods = Fixtures.endpoints(10);
    private final List<LoadBalancer> balancers = new ArrayList<>();

    @AfterEach
    void close() {
        balancers.forEach(LoadBalancer::close);
    }

    private LoadBalancer balancer(PickerPolicy policy) {
        LoadBalancer lb = LoadBalancer.builder("carts").resolver(StaticResolver.of(pods)).picker(policy)
                .scheduler(new ManualScheduler()).build();
        balancers.add(lb);
        return lb;
    }

    private static Map<String, Endpoint> assign(LoadBalancer lb) {
        Map<String, Endpoint> owners = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            owners.put("user-" + i, lb.pick(PickRequest.sticky("user-" + i)));
        }
        return owners;
    }

    @Test
    void withNoLoadEveryKeyGoesWherePlainStickyPutsIt() {
        assertThat(assign(balancer(Pickers.sticky(0.25)))).isEqualTo(assign(balancer(Pickers.sticky())));
    }

    @Test
    void onlyTheKeysOfAPodAtTheBoundMoveAndTheyComeBack() {
        LoadBalancer bounded = balancer(Pickers.sticky(0.25));
        Map<String, Endpoint> before = assign(bounded);
        Endpoint busy = pods.get(3);
        List<Attempt> open = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            open.add(bounded.start(busy)); // 20 in flight on one pod: the bound is ceil(1.25 x 21 / 10) = 3
        }
        Map<String, Endpoint> during = assign(bounded);
        int moved = 0;
        for (Map.Entry<String, Endpoint> key : before.entrySet()) {
            if (!during.get(key.getKey()).equals(key.getValue())) {
                moved++;
                assertThat(key.getValue()).as("a key that moved was on the busy pod").isEqualTo(busy);
            }
            assertThat(during.get(key.getKey())).isNotEqualTo(busy);
        }
        long busyKeys = before.values().stream().filter(busy::equals).count();
        assertThat(moved).isEqualTo(busyKeys);
        System.out.printf("BENCH | sticky with bounded load (epsilon 0.25), 10 pods, one at 20 in flight | %d of %d keys moved"
                + " (%.1f%%), all of them the busy pod's%n", moved, KEYS, 100.0 * moved / KEYS);

        open.forEach(a -> a.end(Outcome.response(200)));
        assertThat(assign(bounded)).as("back where they were once the pod is under the bound").isEqualTo(before);
    }

    @Test
    void aHotKeyCannotPileItsRequestsOnOnePod() {
        LoadBalancer bounded = balancer(Pickers.sticky(0.25));
        LoadBalancer plain = balancer(Pickers.sticky());
        Map<Endpoint, Integer> boundedLoad = new HashMap<>();
        Map<Endpoint, Integer> plainLoad = new HashMap<>();
        // 100 requests in flight at once, every one for the same few keys.
        for (int i = 0; i < 100; i++) {
            String key = "hot-" + (i % 3);
            Endpoint b = bounded.pick(PickRequest.sticky(key));
            bounded.start(b);
            boundedLoad.merge(b, 1, Integer::sum);
            plainLoad.merge(plain.pick(PickRequest.sticky(key)), 1, Integer::sum);
        }
        assertThat(plainLoad.values()).as("plain sticky: all on the hot keys' pods").hasSizeLessThanOrEqualTo(3);
        int bound = (int) Math.ceil(1.25 * 100 / 10);
        assertThat(boundedLoad.values()).allSatisfy(load -> assertThat(load).isLessThanOrEqualTo(bound + 1));
        assertThat(boundedLoad).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void aBoundWithoutRoomIsRefused() {
        assertThatThrownBy(() -> Pickers.sticky(0)).hasMessage("sticky load bound epsilon is 0.0; expected more than 0,"
                + " such as 0.25 (a pod may take 25% more than the mean)");
    }
}
