package dev.podlb.core.pick;

import dev.podlb.core.time.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** What a {@link PickerPolicy} is told of the load balancer it makes an instance for. */
public final class PickerContext {
    private static final Consumer<Duration> IGNORED = after -> { };

    private final String service;
    private final Scheduler scheduler;
    private final Consumer<Duration> newPickerRequests;
    private final Executor executor;

    private PickerContext(String service, Scheduler scheduler, Consumer<Duration> newPickerRequests,
            Executor executor) {
        this.service = service;
        this.scheduler = scheduler;
        this.newPickerRequests = newPickerRequests;
        this.executor = executor;
    }

    /**
     * The context of a load balancer for {@code service}, reading time from {@code scheduler}; for
     * tests of a picker. Its {@link #requestNewPicker} requests do nothing: such a test calls
     * {@link PickerInstance#newPicker} itself. Its {@link #executor} runs each task at once on the
     * calling thread.
     */
    public static PickerContext of(String service, Scheduler scheduler) {
        return of(service, scheduler, IGNORED, Runnable::run);
    }

    /**
     * The context of a load balancer for {@code service}, reading time from {@code scheduler},
     * whose {@link #requestNewPicker} calls hand their delay to {@code newPickerRequests}, on the
     * thread that made them (the load balancer's serial context in {@link PickerInstance#newPicker},
     * or a task on the {@link #executor}); that consumer arranges for {@code newPicker} to be called
     * again after the delay, on the thread the load balancer builds pickers on. {@code executor}
     * runs the work an instance does off the serial context: the load balancer's own, or, in a
     * test, one the test drives.
     */
    public static PickerContext of(String service, Scheduler scheduler, Consumer<Duration> newPickerRequests,
            Executor executor) {
        return new PickerContext(Objects.requireNonNull(service, "service"), Objects.requireNonNull(scheduler, "scheduler"),
                Objects.requireNonNull(newPickerRequests, "newPickerRequests"), Objects.requireNonNull(executor, "executor"));
    }

    /** The service's name, for messages and logs. */
    public String service() {
        return service;
    }

    /** The load balancer's clock, for pickers that weigh time (a new pod's warm-up). */
    public Scheduler scheduler() {
        return scheduler;
    }

    /**
     * Asks the load balancer to call this instance's {@link PickerInstance#newPicker} again, over
     * the endpoints pickable then, about {@code after} from now, on the thread it builds pickers
     * on (its serial context), as it does for a new set: for an instance that published a picker
     * standing in for costlier work (a sticky table's interim form) and does that work then. At
     * most one request is pending; one made while another is pending is dropped (the pending one
     * calls newPicker too). Nothing runs after the load balancer closed. Any thread may call it:
     * {@code newPicker}, or a task on the {@link #executor} handing its result back. With
     * {@link #of(String, Scheduler)}, it does nothing.
     */
    public void requestNewPicker(Duration after) {
        if (after.isNegative()) {
            throw new IllegalArgumentException("requestNewPicker(" + after + "): expected zero or a positive delay");
        }
        newPickerRequests.accept(after);
    }

    /**
     * Where an instance does work off the serial context, so that sets arriving meanwhile are not
     * held up (a sticky table's settle at thousands of pods): the executor given to
     * {@code LoadBalancerBuilder.executor}; without one, a daemon thread podlb keeps for such work
     * ({@code podlb-background-<n>}, shared by every load balancer), off the pool that runs every
     * load balancer's state changes; with a scheduler whose own executor is not that pool (a
     * test's), the scheduler's executor. A task
     * there runs on that executor's thread, concurrently with {@code newPicker}; it hands its result
     * back through {@link #requestNewPicker}, whose {@code newPicker} call on the serial context
     * takes it up. A direct executor (a test's) runs the task inline, within the call that submits it.
     */
    public Executor executor() {
        return executor;
    }

    @Override
    public String toString() {
        return "PickerContext{" + service + "}";
    }
}
