package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.Picker;
import dev.podlb.core.pick.PickerContext;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.time.ManualScheduler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where a picker instance's long work off the serial context runs ({@link PickerContext#executor()}):
 * never on the small pool every load balancer's state changes share, which a sticky table's settle
 * over thousands of pods (tenths of a second) would hold.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PickerExecutorTest {
    private static final List<Endpoint> PODS = List.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));

    /** A policy whose instance runs one task on its context's executor, and tells on which thread. */
    private static PickerPolicy reportingWhereWorkRuns(CompletableFuture<String> thread, AtomicReference<Executor> executor) {
        return context -> {
            executor.set(context.executor());
            context.executor().execute(() -> thread.complete(Thread.currentThread().getName()));
            return pickable -> (Picker) request -> pickable.endpoints().get(0);
        };
    }

    @Test
    void byDefaultAPickersWorkRunsOnAPodlbThreadOfItsOwnNotOnTheStateUpdatePool() throws Exception {
        CompletableFuture<String> thread = new CompletableFuture<>();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(PODS))
                .picker(reportingWhereWorkRuns(thread, new AtomicReference<>())).build()) {
            assertThat(thread.get(10, TimeUnit.SECONDS)).startsWith("podlb-background-");
        }
    }

    @Test
    void anExecutorTheApplicationGaveRunsItsPickersWorkToo() throws Exception {
        CompletableFuture<String> thread = new CompletableFuture<>();
        AtomicReference<Executor> seen = new AtomicReference<>();
        Executor mine = task -> new Thread(task, "application-thread").start();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(PODS)).executor(mine)
                .picker(reportingWhereWorkRuns(thread, seen)).build()) {
            assertThat(thread.get(10, TimeUnit.SECONDS)).isEqualTo("application-thread");
            assertThat(seen.get()).isSameAs(mine);
        }
    }

    @Test
    void aManualSchedulersDirectExecutorRunsItInline() throws Exception {
        CompletableFuture<String> thread = new CompletableFuture<>();
        ManualScheduler time = new ManualScheduler();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(StaticResolver.of(PODS)).scheduler(time)
                .picker(reportingWhereWorkRuns(thread, new AtomicReference<>())).build()) {
            assertThat(thread.getNow(null)).isEqualTo(Thread.currentThread().getName());
        }
    }
}
