package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.discovery.PublishingResolver;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.time.Scheduler;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The order in which a load balancer applies and announces what several threads hand it: every
 * interleaving is chosen by the test, through an executor whose queued work it runs itself.
 */
class SerialOrderTest {
    private final ManualScheduler time = new ManualScheduler();
    private final QueuedExecutor executor = new QueuedExecutor();
    private final Endpoint a = Endpoint.builder("10.0.0.1", 8080).podName("a").build();
    private final Endpoint b = Endpoint.builder("10.0.0.2", 8080).podName("b").build();
    private final Endpoint c = Endpoint.builder("10.0.0.3", 8080).podName("c").build();

    /** Records every event with the status the load balancer reports while it is being told. */
    private static final class Recorder implements LoadBalancerListener {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        LoadBalancer lb;

        @Override
        public void endpointsChanged(String service, EndpointSet set) {
            // A resolver's set known at build time is applied, and announced, before build() returns.
            events.add("set v" + set.version() + (lb == null ? " (while building)" : " (status v" + lb.status().version() + ")"));
        }

        @Override
        public void ejected(String service, Endpoint endpoint, Duration duration) {
            events.add("ejected " + endpoint.podName().orElseThrow() + " (status: " + lb.status().ejected() + " ejected)");
        }

        @Override
        public void readmitted(String service, Endpoint endpoint) {
            events.add("readmitted " + endpoint.podName().orElseThrow() + " (status: " + lb.status().ejected() + " ejected)");
        }

        @Override
        public void panicChanged(String service, boolean panic) {
            events.add("panic " + panic + " (status: " + lb.status().panic() + ")");
        }
    }

    private LoadBalancer balancer(Resolver resolver, Recorder recorder, EjectionPolicy policy) {
        LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).scheduler(time).executor(executor)
                .ejection(policy).listener(recorder).build();
        recorder.lb = lb;
        return lb;
    }

    private static void fail(LoadBalancer lb, Endpoint pod, int times) {
        for (int i = 0; i < times; i++) {
            lb.report(pod, Outcome.connectFailure(new ConnectException("refused")));
        }
    }

    @Test
    void aSubscriberThatJoinsDuringAPublishSeesTheSetsInVersionOrder() {
        StaticResolver resolver = StaticResolver.of(a);
        List<Long> late = new ArrayList<>();
        Resolver.Listener lateListener = set -> late.add(set.version());
        List<Long> early = new ArrayList<>();
        resolver.subscribe(set -> {
            early.add(set.version());
            if (set.version() == 1) {
                // While v1 is being delivered: a new subscriber, then v2.
                resolver.subscribe(lateListener);
                resolver.update(List.of(a, b));
            }
        });
        assertThat(early).containsExactly(1L, 2L);
        assertThat(late).containsExactly(1L, 2L);
    }

    @Test
    void anOlderSetIsNeverApplied() {
        Recorder recorder = new Recorder();
        OutOfOrderResolver resolver = new OutOfOrderResolver();
        try (LoadBalancer lb = balancer(resolver, recorder, EjectionPolicy.defaults())) {
            resolver.listener.onEndpoints(EndpointSet.of(a, b, c).withVersion(3));
            resolver.listener.onEndpoints(EndpointSet.of(a).withVersion(2)); // a stale replay arriving late
            executor.runAll();
            time.advance(Duration.ofSeconds(1));
            executor.runAll();
            assertThat(lb.endpoints().version()).isEqualTo(3);
            assertThat(recorder.events).containsExactly("set v3 (status v3)");
        }
    }

    @Test
    void aReadmissionRacingANewSetLeavesEveryPodOfTheSetTracked() {
        for (boolean timerFirst : new boolean[] {true, false}) {
            StaticResolver resolver = StaticResolver.of(a, b, c);
            Recorder recorder = new Recorder();
            try (LoadBalancer lb = balancer(resolver, recorder, EjectionPolicy.defaults())) {
                executor.runAll();
                fail(lb, b, 5);
                executor.runAll();
                assertThat(lb.isEjected(b)).isTrue();
                if (timerFirst) {
                    time.advance(Duration.ofSeconds(30)); // the readmission timer queues its task
                    resolver.update(List.of(a, b, c, Endpoint.of("10.0.0.4", 8080)));
                } else {
                    resolver.update(List.of(a, b, c, Endpoint.of("10.0.0.4", 8080)));
                    time.advance(Duration.ofSeconds(30));
                }
                executor.runAll();
                time.advance(Duration.ofSeconds(1)); // the coalesced set
                executor.runAll();
                assertThat(lb.endpoints().size()).isEqualTo(4);
                for (Endpoint e : lb.endpoints().endpoints()) {
                    assertThat(lb.stats(e)).as("%s tracked (timer first: %s)", e, timerFirst).isNotNull();
                }
                assertThat(lb.isEjected(b)).isFalse();
            }
        }
    }

    @Test
    void timersOnlyQueueWorkOnTheLoadBalancersContext() {
        StaticResolver resolver = StaticResolver.of(a, b, c);
        try (LoadBalancer lb = balancer(resolver, new Recorder(), EjectionPolicy.defaults())) {
            executor.runAll();
            fail(lb, b, 5);
            assertThat(lb.isEjected(b)).as("the decision waits for the context").isFalse();
            executor.runAll();
            assertThat(lb.isEjected(b)).isTrue();
            time.advance(Duration.ofSeconds(30));
            assertThat(lb.isEjected(b)).as("the timer only queued the readmission").isTrue();
            assertThat(executor.queued()).isEqualTo(1);
            executor.runAll();
            assertThat(lb.isEjected(b)).isFalse();
        }
    }

    @Test
    void ejectionsReadmissionsAndPanicAreAnnouncedInOrderWithTheStatusAlreadyTrue() {
        StaticResolver resolver = StaticResolver.of(a, b, c);
        Recorder recorder = new Recorder();
        try (LoadBalancer lb = balancer(resolver, recorder, EjectionPolicy.builder().maxEjectionPercent(100).build())) {
            executor.runAll();
            fail(lb, a, 5);
            fail(lb, b, 5);
            executor.runAll();
            time.advance(Duration.ofSeconds(30));
            executor.runAll();
            assertThat(recorder.events).containsExactly(
                    "set v1 (while building)",
                    "ejected a (status: 1 ejected)",
                    "ejected b (status: 2 ejected)",
                    "panic true (status: true)",
                    "readmitted a (status: 1 ejected)",
                    "panic false (status: false)",
                    "readmitted b (status: 0 ejected)");
        }
    }

    @Test
    void isEjectedAnswersFromTheStatePicksUseNotFromADecisionStillBeingApplied() {
        StaticResolver resolver = StaticResolver.of(a, b);
        List<String> seen = new ArrayList<>();
        LoadBalancer[] built = new LoadBalancer[1];
        // The ejection decision schedules its readmission before it publishes the new state: look then.
        Scheduler looking = new Scheduler() {
            @Override
            public long nanoTime() {
                return time.nanoTime();
            }

            @Override
            public Cancellable schedule(Duration delay, Runnable task) {
                LoadBalancer lb = built[0];
                if (lb != null) {
                    seen.add("isEjected " + lb.isEjected(b) + ", status " + lb.status().ejected() + " ejected");
                }
                return time.schedule(delay, task);
            }

            @Override
            public Executor executor() {
                return Runnable::run;
            }
        };
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).scheduler(looking)
                .ejection(EjectionPolicy.builder().consecutiveFailures(1).maxEjectionPercent(100).build()).build()) {
            built[0] = lb;
            fail(lb, b, 1);
            assertThat(seen).containsExactly("isEjected false, status 0 ejected");
            assertThat(lb.isEjected(b)).isTrue();
            for (int i = 0; i < 10; i++) {
                assertThat(lb.pick()).isEqualTo(a);
            }
        }
    }

    @Test
    void aListenerThatThrowsIsLoggedAndLaterEventsStillCome() {
        StaticResolver resolver = StaticResolver.of(a, b, c);
        List<String> heard = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).scheduler(time)
                .listener(new LoadBalancerListener() {
                    @Override
                    public void endpointsChanged(String service, EndpointSet set) {
                        heard.add("set v" + set.version());
                        throw new IllegalStateException("a listener bug");
                    }

                    @Override
                    public void ejected(String service, Endpoint endpoint, Duration duration) {
                        heard.add("ejected " + endpoint.podName().orElseThrow());
                    }
                }).build()) {
            fail(lb, c, 5);
            assertThat(heard).containsExactly("set v1", "ejected c");
        }
    }

    @Test
    @Timeout(30)
    void manyThreadsFailingOnePodEjectItOnce() throws InterruptedException {
        StaticResolver resolver = StaticResolver.of(a, b, c);
        Recorder recorder = new Recorder();
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).listener(recorder).build()) {
            recorder.lb = lb;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    fail(lb, b, 1000);
                });
                thread.start();
                threads.add(thread);
            }
            start.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> lb.isEjected(b));
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events.size() >= 2);
            assertThat(recorder.events.stream().filter(e -> e.startsWith("ejected"))).containsExactly(
                    "ejected b (status: 1 ejected)");
        }
    }

    /** Hands the test its listener, so that the test delivers sets in an order no real resolver would. */
    private static final class OutOfOrderResolver extends PublishingResolver {
        Resolver.Listener listener;

        @Override
        public Subscription subscribe(Listener listener) {
            this.listener = listener;
            return () -> {};
        }

        @Override
        public String describe() {
            return "out of order";
        }

        @Override
        public void close() {}
    }
}
