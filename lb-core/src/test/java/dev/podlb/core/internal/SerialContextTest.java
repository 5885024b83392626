package dev.podlb.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** A serial context's drains, on runners the test controls: no thread is started here. */
class SerialContextTest {

    /** Throws {@code failure} on its first {@code throwsLeft} hand-overs, then runs each task at once. */
    private static final class FlakyRunner implements Executor {
        final RuntimeException failure;
        int throwsLeft;
        int thrown;

        FlakyRunner(RuntimeException failure, int throwsLeft) {
            this.failure = failure;
            this.throwsLeft = throwsLeft;
        }

        @Override
        public void execute(Runnable command) {
            if (throwsLeft > 0) {
                throwsLeft--;
                thrown++;
                throw failure;
            }
            command.run();
        }
    }

    @Test
    void anExecutorThatThrowsOnceLeavesTheContextDraining() {
        FlakyRunner runner = new FlakyRunner(new IllegalStateException("pool is misconfigured"), 1);
        SerialContext context = new SerialContext("test", runner);
        List<String> ran = new ArrayList<>();

        context.execute(() -> ran.add("first"));
        context.execute(() -> ran.add("second"));

        assertThat(runner.thrown).as("the runner's failure was injected and met").isEqualTo(1);
        assertThat(ran).containsExactly("first", "second");
    }

    @Test
    void anExecutorThatAlwaysThrowsRunsEveryTaskOnItsCaller() {
        FlakyRunner runner = new FlakyRunner(new NullPointerException("broken runner"), Integer.MAX_VALUE);
        SerialContext context = new SerialContext("test", runner);
        List<String> ran = new ArrayList<>();

        for (int i = 0; i < 3; i++) {
            int n = i;
            context.execute(() -> ran.add("task " + n));
        }

        assertThat(runner.thrown).isEqualTo(3);
        assertThat(ran).containsExactly("task 0", "task 1", "task 2");
    }

    @Test
    void anExecutorThatRunsTheDrainAndThenThrowsDoesNotRunItTwice() {
        List<String> ran = new ArrayList<>();
        Executor runsThenThrows = command -> {
            command.run();
            throw new IllegalStateException("accepted, then failed");
        };
        SerialContext context = new SerialContext("test", runsThenThrows);

        context.execute(() -> ran.add("once"));
        context.execute(() -> ran.add("twice"));

        assertThat(ran).containsExactly("once", "twice");
    }

    @Test
    void checkCurrentThreadPassesInsideATaskAndFailsOutside() {
        SerialContext context = new SerialContext("load balancer backend", Runnable::run);
        List<Boolean> inside = new ArrayList<>();
        context.execute(() -> {
            context.checkCurrentThread();
            inside.add(context.isCurrentThread());
        });

        assertThat(inside).containsExactly(true);
        assertThatThrownBy(context::checkCurrentThread)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("load balancer backend");
    }
}
