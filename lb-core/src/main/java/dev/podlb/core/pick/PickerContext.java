package dev.podlb.core.pick;

import dev.podlb.core.time.Scheduler;
import java.util.Objects;

/** What a {@link PickerPolicy} is told of the load balancer it makes an instance for. */
public final class PickerContext {
    private final String service;
    private final Scheduler scheduler;

    private PickerContext(String service, Scheduler scheduler) {
        this.service = service;
        this.scheduler = scheduler;
    }

    /** The context of a load balancer for {@code service}, reading time from {@code scheduler}; also for tests of a picker. */
    public static PickerContext of(String service, Scheduler scheduler) {
        return new PickerContext(Objects.requireNonNull(service, "service"), Objects.requireNonNull(scheduler, "scheduler"));
    }

    /** The service's name, for messages and logs. */
    public String service() {
        return service;
    }

    /** The load balancer's clock, for pickers that weigh time (a new pod's warm-up). */
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public String toString() {
        return "PickerContext{" + service + "}";
    }
}
