package dev.podlb.core.pick;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.internal.Hashing;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A sticky load balancer whose leaves take the interim path (its threshold lowered to no ranking
 * at all, so that a few pods do): a pod that left gets no key from the next snapshot on, its keys
 * go where a fresh table sends them, and the table settles after the delay it asked for.
 */
class StickyLazyLeaveTest {
    private static final int KEYS = 20_000;
    private final ManualScheduler time = new ManualScheduler();
    private final List<Picker> built = new ArrayList<>();

    /** Sticky with every leave lazy, recording each picker the load balancer builds. */
    private PickerPolicy recording() {
        Sticky sticky = new Sticky(null, -1, 0);
        return new PickerPolicy() {
            @Override
            public PickerInstance newInstance(PickerContext context) {
                PickerInstance instance = sticky.newInstance(context);
                return pickable -> {
                    Picker picker = instance.newPicker(pickable);
                    built.add(picker);
                    return picker;
                };
            }

            @Override
            public Set<LiveFigure> reads() {
                return Set.of();
            }
        };
    }

    private LoadBalancer balancer(StaticResolver resolver) {
        return LoadBalancer.builder("carts").resolver(resolver).picker(recording()).scheduler(time)
                .coalesceUpdates(Duration.ZERO).build();
    }

    private Picker last() {
        return built.get(built.size() - 1);
    }

    @Test
    void aPodThatLeftGetsNoKeyFromTheNextSnapshotAndTheTableSettlesAfterTheDelay() {
        List<Endpoint> pods = Fixtures.endpoints(40);
        StaticResolver resolver = StaticResolver.of(pods);
        try (LoadBalancer lb = balancer(resolver)) {
            Endpoint leaving = pods.get(17);
            List<Endpoint> rest = new ArrayList<>(pods);
            rest.remove(leaving);
            resolver.update(rest);
            assertThat(last().toString()).contains("interim");
            SlotTable fresh = SlotTable.of(rest);
            SlotTable before = SlotTable.of(pods);
            int moved = 0;
            for (int i = 0; i < KEYS; i++) {
                PickRequest request = PickRequest.sticky("user-" + i);
                Endpoint picked = lb.pick(request);
                assertThat(picked).as("key user-%d", i).isNotEqualTo(leaving)
                        .isEqualTo(fresh.ownerOf(Hashing.ofKey("user-" + i)));
                moved += before.ownerOf(Hashing.ofKey("user-" + i)).equals(leaving) ? 1 : 0;
            }
            assertThat(moved).as("keys the leaving pod owned").isGreaterThan(KEYS / 80);
            int builds = built.size();
            time.advance(Sticky.SETTLE_AFTER.minusMillis(1));
            assertThat(built).hasSize(builds);
            time.advance(Duration.ofMillis(1));
            assertThat(built).as("a picker built when the settle was due").hasSize(builds + 1);
            assertThat(last().toString()).doesNotContain("interim");
            for (int i = 0; i < KEYS; i++) {
                assertThat(lb.pick(PickRequest.sticky("user-" + i))).isEqualTo(fresh.ownerOf(Hashing.ofKey("user-" + i)));
            }
        }
    }

    @Test
    void leavesStackOnOneSettledTableUntilTheSettleAndJoinsAreTakenAtOnce() {
        List<Endpoint> pods = Fixtures.endpoints(50);
        StaticResolver resolver = StaticResolver.of(pods.subList(0, 40));
        try (LoadBalancer lb = balancer(resolver)) {
            List<Endpoint> now = new ArrayList<>(pods.subList(0, 40));
            for (int step = 0; step < 10; step++) {
                now.remove(step * 3);
                now.add(pods.get(40 + step));
                resolver.update(now);
                assertThat(last().toString()).contains("interim");
                SlotTable fresh = SlotTable.of(now);
                for (int i = 0; i < KEYS; i += 7) {
                    assertThat(lb.pick(PickRequest.sticky("user-" + i))).isEqualTo(fresh.ownerOf(Hashing.ofKey("user-" + i)));
                }
                time.advance(Duration.ofMillis(4));
            }
            time.advance(Sticky.SETTLE_AFTER);
            assertThat(last().toString()).doesNotContain("interim");
        }
    }

    @Test
    void closingBeforeTheSettleLeavesNothingToRun() {
        List<Endpoint> pods = Fixtures.endpoints(40);
        StaticResolver resolver = StaticResolver.of(pods);
        LoadBalancer lb = balancer(resolver);
        resolver.update(pods.subList(1, 40));
        assertThat(last().toString()).contains("interim");
        assertThat(time.pendingTasks()).as("the settle, scheduled").isPositive();
        int builds = built.size();
        lb.close();
        assertThat(time.pendingTasks()).isZero();
        time.advance(Duration.ofSeconds(1));
        assertThat(built).hasSize(builds);
    }
}
