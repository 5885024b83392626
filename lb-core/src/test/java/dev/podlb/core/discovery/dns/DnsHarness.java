package dev.podlb.core.discovery.dns;

import dev.podlb.testing.TestDnsServer;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.core.discovery.Target;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionFactory;

/**
 * A DNS test server, a discovery asking only it with time on a {@link ManualScheduler}, and the
 * load balancers and resolvers a test opened, all closed by {@link #close()}.
 */
final class DnsHarness implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    /** Waits up to {@link #WAIT}, looking every 5 ms from the start: for what real DNS traffic brings. */
    static ConditionFactory waiting() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
    }

    /** The {@code host:port} of each endpoint the load balancer holds now. */
    static Set<String> authorities(LoadBalancer lb) {
        return lb.endpoints().endpoints().stream().map(Endpoint::authority).collect(Collectors.toSet());
    }

    final ManualScheduler clock = new ManualScheduler();
    final TestDnsServer dns;
    private Discovery discovery;
    private final List<AutoCloseable> opened = new ArrayList<>();

    DnsHarness() throws Exception {
        dns = new TestDnsServer();
    }

    /** The discovery, made on first use with the test server's settings as {@code settings} changes them. */
    Discovery discovery(Function<DnsSettings.Builder, DnsSettings.Builder> settings) {
        if (discovery == null) {
            discovery = Discovery.builder()
                    .dns(settings.apply(TestDns.settings(dns).scheduler(clock).queryTimeout(Duration.ofMillis(300))).build())
                    .build();
        }
        return discovery;
    }

    LoadBalancer balancer(String target, Function<DnsSettings.Builder, DnsSettings.Builder> settings) {
        LoadBalancer lb = LoadBalancer.builder("backend").target(target).discovery(discovery(settings)).build();
        opened.add(lb);
        return lb;
    }

    /** A resolver opened directly, and what it delivered to one subscriber. */
    Recorder resolver(String target, Function<DnsSettings.Builder, DnsSettings.Builder> settings) {
        Resolver resolver = discovery(settings).open(Target.parse(target));
        opened.add(resolver);
        Recorder recorder = new Recorder(clock);
        opened.add(resolver.subscribe(recorder));
        return recorder;
    }

    /**
     * Moves the clock on by {@code total} in steps of {@code step}, waiting after each until every
     * one of {@code resolvers} refresh loops has its next refresh planned: a refresh the step
     * started has had its answer (or timed out for real).
     */
    void advance(Duration total, Duration step, int resolvers) {
        for (Duration done = Duration.ZERO; done.compareTo(total) < 0; done = done.plus(step)) {
            clock.advance(step);
            awaitPlanned(resolvers);
        }
    }

    void advance(Duration total) {
        advance(total, Duration.ofMillis(100), 1);
    }

    /** Waits until {@code resolvers} refreshes are planned; a short spin, as each answer comes over loopback. */
    void awaitPlanned(int resolvers) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (clock.pendingTasks() < resolvers) {
            if (System.nanoTime() > deadline) {
                fail("only " + clock.pendingTasks() + " of " + resolvers + " refreshes planned after " + WAIT + ": " + clock);
            }
            LockSupport.parkNanos(50_000);
        }
    }

    /** Moves the clock on in steps of 100 ms until the server has received one more query than now. */
    void advanceUntilQueried() {
        int before = dns.queries();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (dns.queries() == before) {
            if (System.nanoTime() > deadline) {
                fail("no query within " + WAIT + " of real time: " + clock);
            }
            clock.advance(Duration.ofMillis(100));
            awaitPlanned(1);
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable one : opened) {
            one.close();
        }
        if (discovery != null) {
            discovery.close();
        }
        dns.close();
    }

    /** Records each set and error a resolver delivered, with the simulated time and the thread that delivered it. */
    static final class Recorder implements Resolver.Listener {
        private final ManualScheduler clock;
        final List<EndpointSet> sets = new CopyOnWriteArrayList<>();
        final List<Long> setTimes = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        Recorder(ManualScheduler clock) {
            this.clock = clock;
        }

        @Override
        public void onEndpoints(EndpointSet set) {
            threads.add(Thread.currentThread().getName());
            setTimes.add(clock.nanoTime());
            sets.add(set);
        }

        @Override
        public void onError(Throwable error) {
            threads.add(Thread.currentThread().getName());
            errors.add(error);
        }

        @Override
        public void onUnchanged() {
            threads.add(Thread.currentThread().getName());
        }

        EndpointSet last() {
            return sets.isEmpty() ? null : sets.get(sets.size() - 1);
        }
    }
}
