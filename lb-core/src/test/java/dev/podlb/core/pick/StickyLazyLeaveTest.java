package dev.podlb.core.pick;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.internal.Hashing;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
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

    /** 400 pods, so that the 10 departed stay under a sixteenth of them, which would settle at once. */
    @Test
    void leavesStackOnOneSettledTableUntilTheSettleAndJoinsAreTakenAtOnce() {
        List<Endpoint> pods = Fixtures.endpoints(410);
        StaticResolver resolver = StaticResolver.of(pods.subList(0, 400));
        try (LoadBalancer lb = balancer(resolver)) {
            List<Endpoint> now = new ArrayList<>(pods.subList(0, 400));
            for (int step = 0; step < 10; step++) {
                now.remove(step * 3);
                now.add(pods.get(400 + step));
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

    /** The tasks a picker instance submitted to its context's executor, run when the test says. */
    private final Queue<Runnable> submitted = new ArrayDeque<>();
    /** The delays of the instance's requests for a new picker. */
    private final List<Duration> requests = new ArrayList<>();

    private PickerInstance drivenInstance(Scheduler scheduler) {
        return new Sticky(null, -1, 0).newInstance(PickerContext.of("carts", scheduler, requests::add, submitted::add));
    }

    /** Runs the settle submitted; the next picker over {@code now} is settled and picks as a fresh table. */
    private void runTheSettle(PickerInstance instance, List<Endpoint> now) {
        submitted.remove().run();
        Picker picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).doesNotContain("interim");
        assertPicksAsFresh(picker, now);
    }

    private static void assertPicksAsFresh(Picker picker, List<Endpoint> endpoints) {
        SlotTable fresh = SlotTable.of(endpoints);
        for (int i = 0; i < KEYS; i += 3) {
            assertThat(picker.pick(PickRequest.sticky("user-" + i))).as("key user-%d", i)
                    .isEqualTo(fresh.ownerOf(Hashing.ofKey("user-" + i)));
        }
    }

    @Test
    void theSettleRunsOnTheExecutorAndSetsArrivingMeanwhileAreTakenAtOnce() {
        PickerInstance instance = drivenInstance(time);
        List<Endpoint> pods = Fixtures.endpoints(50);
        List<Endpoint> now = new ArrayList<>(pods.subList(0, 40));
        instance.newPicker(Fixtures.pickable(now));
        now.remove(17);
        Picker picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).contains("interim");
        assertThat(requests).containsExactly(Sticky.SETTLE_AFTER);
        time.advance(Sticky.SETTLE_AFTER);

        picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(submitted).as("the settle, submitted, not run in newPicker").hasSize(1);
        assertThat(picker.toString()).as("the interim picker until the settle has run").contains("interim");
        assertPicksAsFresh(picker, now);
        int requested = requests.size();

        // A join and a leave while the settle is in flight: interim views at once, no second settle.
        now.add(pods.get(40));
        picker = instance.newPicker(Fixtures.pickable(now));
        assertPicksAsFresh(picker, now);
        now.remove(3);
        picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).contains("interim");
        assertPicksAsFresh(picker, now);
        assertThat(submitted).hasSize(1);
        assertThat(requests).as("no request while the settle is in flight: its end asks").hasSize(requested);

        submitted.remove().run();
        assertThat(requests).as("the settle hands its table back").hasSize(requested + 1).last().isEqualTo(Duration.ZERO);
        // The settled table was made for the set before the last leave: that leave stacks anew.
        picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).contains("interim");
        assertPicksAsFresh(picker, now);
        assertThat(requests).last().isEqualTo(Sticky.SETTLE_AFTER);
        time.advance(Sticky.SETTLE_AFTER);
        picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).contains("interim");
        assertThat(submitted).hasSize(1);
        runTheSettle(instance, now);
        assertThat(submitted).isEmpty();
    }

    /**
     * Pods that left since the settled table, past a sixteenth of the present ones: the settle is
     * due at once, not after the delay, so that picks do not rank ever more departed pods' slots
     * while a rollout goes on. Joins do not count: a pick finds a joined pod's slot in a lookup.
     */
    @Test
    void anInterimTableWithMoreThanASixteenthOfThePodsDepartedSettlesAtOnce() {
        PickerInstance instance = drivenInstance(time);
        List<Endpoint> pods = Fixtures.endpoints(100);
        List<Endpoint> now = new ArrayList<>(pods.subList(0, 64));
        instance.newPicker(Fixtures.pickable(now));
        for (int left = 1; left <= 3; left++) {
            now.remove(0);
            assertThat(instance.newPicker(Fixtures.pickable(now)).toString()).contains("interim");
        }
        now.add(pods.get(64));
        assertPicksAsFresh(instance.newPicker(Fixtures.pickable(now)), now);
        assertThat(requests).as("3 departed of 62: the delay").hasSize(4).containsOnly(Sticky.SETTLE_AFTER);
        now.remove(0);
        Picker picker = instance.newPicker(Fixtures.pickable(now));
        assertPicksAsFresh(picker, now);
        assertThat(requests).as("4 departed of 61: due now").last().isEqualTo(Duration.ZERO);
        instance.newPicker(Fixtures.pickable(now));
        assertThat(submitted).as("the settle, submitted without the clock moving").hasSize(1);
        runTheSettle(instance, now);
    }

    @Test
    void aSettleMadeForAnOlderSetWithOnlyJoinsSinceEndsSettled() {
        PickerInstance instance = drivenInstance(time);
        List<Endpoint> pods = Fixtures.endpoints(50);
        List<Endpoint> now = new ArrayList<>(pods.subList(0, 40));
        instance.newPicker(Fixtures.pickable(now));
        now.remove(5);
        instance.newPicker(Fixtures.pickable(now));
        time.advance(Sticky.SETTLE_AFTER);
        instance.newPicker(Fixtures.pickable(now));
        now.add(pods.get(45));
        instance.newPicker(Fixtures.pickable(now));
        runTheSettle(instance, now);
    }

    @Test
    void anExecutorRefusingTheSettleHasItDoneOnTheSerialContext() {
        PickerInstance instance = new Sticky(null, -1, 0).newInstance(PickerContext.of("carts", time, requests::add,
                task -> {
                    throw new RejectedExecutionException("shutting down");
                }));
        List<Endpoint> now = new ArrayList<>(Fixtures.endpoints(40));
        instance.newPicker(Fixtures.pickable(now));
        now.remove(9);
        assertThat(instance.newPicker(Fixtures.pickable(now)).toString()).contains("interim");
        time.advance(Sticky.SETTLE_AFTER);
        Picker picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).doesNotContain("interim");
        assertPicksAsFresh(picker, now);
    }

    @Test
    void aSettleTaskThatFailsIsDoneOnTheSerialContextAtTheNextPicker() {
        boolean[] failing = {false};
        Scheduler clock = new Scheduler() {
            @Override
            public long nanoTime() {
                if (failing[0]) {
                    throw new IllegalStateException("injected: the settle task's clock fails");
                }
                return time.nanoTime();
            }

            @Override
            public Cancellable schedule(Duration delay, Runnable task) {
                return time.schedule(delay, task);
            }
        };
        PickerInstance instance = drivenInstance(clock);
        List<Endpoint> now = new ArrayList<>(Fixtures.endpoints(40));
        instance.newPicker(Fixtures.pickable(now));
        now.remove(9);
        instance.newPicker(Fixtures.pickable(now));
        time.advance(Sticky.SETTLE_AFTER);
        assertThat(instance.newPicker(Fixtures.pickable(now)).toString()).contains("interim");
        failing[0] = true;
        boolean thrown = false;
        try {
            submitted.remove().run();
        } catch (IllegalStateException e) {
            thrown = true;
        }
        failing[0] = false;
        assertThat(thrown).as("the task's fault stays inside it").isFalse();
        assertThat(requests).as("the failed settle asks for a picker").last().isEqualTo(Duration.ZERO);
        Picker picker = instance.newPicker(Fixtures.pickable(now));
        assertThat(picker.toString()).doesNotContain("interim");
        assertPicksAsFresh(picker, now);
        assertThat(submitted).isEmpty();
    }

    @Test
    void aLoadBalancerHandsTheSettledTableBackFromTheExecutorsThread() {
        Queue<Runnable> runner = new ArrayDeque<>();
        List<Endpoint> pods = Fixtures.endpoints(40);
        StaticResolver resolver = StaticResolver.of(pods);
        try (LoadBalancer lb = LoadBalancer.builder("carts").resolver(resolver).picker(recording()).scheduler(time)
                .coalesceUpdates(Duration.ZERO).executor(runner::add).build()) {
            List<Endpoint> rest = new ArrayList<>(pods);
            rest.remove(11);
            resolver.update(rest);
            runAll(runner);
            assertThat(last().toString()).contains("interim");
            time.advance(Sticky.SETTLE_AFTER);
            int builds = built.size();
            Runnable drain = runner.remove();
            drain.run();
            assertThat(built).as("the picker built when the settle was due").hasSize(builds + 1);
            assertThat(last().toString()).as("kept while the settle is queued").contains("interim");
            assertThat(runner).as("the settle, queued on the executor").hasSize(1);
            runner.remove().run();
            assertThat(last().toString()).contains("interim");
            // Its request hopped onto the serial context, which asked the scheduler for a picker at once.
            runAll(runner);
            time.advance(Duration.ZERO);
            runAll(runner);
            assertThat(built).hasSize(builds + 2);
            assertThat(last().toString()).doesNotContain("interim");
            SlotTable fresh = SlotTable.of(rest);
            for (int i = 0; i < KEYS; i += 7) {
                assertThat(lb.pick(PickRequest.sticky("user-" + i))).isEqualTo(fresh.ownerOf(Hashing.ofKey("user-" + i)));
            }
        }
    }

    @Test
    void aSettleEndingAfterCloseBuildsNothing() {
        Queue<Runnable> runner = new ArrayDeque<>();
        List<Endpoint> pods = Fixtures.endpoints(40);
        StaticResolver resolver = StaticResolver.of(pods);
        LoadBalancer lb = LoadBalancer.builder("carts").resolver(resolver).picker(recording()).scheduler(time)
                .coalesceUpdates(Duration.ZERO).executor(runner::add).build();
        resolver.update(pods.subList(1, 40));
        runAll(runner);
        time.advance(Sticky.SETTLE_AFTER);
        runner.remove().run();
        assertThat(runner).as("the settle, queued on the executor").hasSize(1);
        int builds = built.size();
        lb.close();
        runAll(runner);
        time.advance(Duration.ofSeconds(1));
        runAll(runner);
        assertThat(built).hasSize(builds);
        assertThat(time.pendingTasks()).isZero();
    }

    private static void runAll(Queue<Runnable> runner) {
        Runnable task;
        while ((task = runner.poll()) != null) {
            task.run();
        }
    }
}
