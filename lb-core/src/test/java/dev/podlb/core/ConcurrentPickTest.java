package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.PickerPolicy;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Four threads pick while another swaps the endpoint set 10,000 times. Every set version has its
 * own addresses, so a picked endpoint says which set it came from: it must be a set that was
 * current at some moment during the pick.
 *
 * <p>The sticky run swaps 1,000 times: each swap rebuilds its 2^18-slot table (about 6 ms of one
 * core here, since every endpoint of a new set is new), and the swap-versus-pick interleaving
 * under test is the load balancer's, the same for every picker. In that run the picking threads
 * yield between picks, since four threads spinning on two cores would leave the swapping thread a
 * third of a core at most, a thousand swaps tens of seconds. The round-robin run's swaps cost
 * microseconds, and its pickers spin. In both, the count of sets picks came from shows that they ran through the
 * swaps.
 */
class ConcurrentPickTest {
    private static final int PICKERS = 4;
    /** The sessions each picking thread cycles through. */
    private static final int SESSIONS = 64;

    /** Set {@code v}: three endpoints whose port encodes the version. */
    private static List<Endpoint> version(int v) {
        int port = 10_000 + v;
        return List.of(Endpoint.of("10.0.0.1", port), Endpoint.of("10.0.0.2", port), Endpoint.of("10.0.0.3", port));
    }

    @Test
    @Timeout(60)
    void roundRobinPicksComeFromASetCurrentDuringThem() throws InterruptedException {
        assertEveryPickComesFromACurrentSet(Pickers.roundRobin(), 10_000, false, 0.01);
    }

    @Test
    @Timeout(60)
    void stickyPicksComeFromASetCurrentDuringThem() throws InterruptedException {
        assertEveryPickComesFromACurrentSet(Pickers.sticky(), 1_000, true, 0.5);
    }

    /**
     * @param yieldBetweenPicks whether the picking threads yield between picks, to leave a swap
     *                          that costs milliseconds the core it needs
     * @param minShareSeen      the least share of the sets that picks must have come from
     */
    private static void assertEveryPickComesFromACurrentSet(PickerPolicy factory, int swaps, boolean yieldBetweenPicks,
                                                            double minShareSeen)
            throws InterruptedException {
        StaticResolver resolver = StaticResolver.of(version(0));
        AtomicLong published = new AtomicLong(0);  // every set up to this one has been installed
        AtomicLong publishing = new AtomicLong(0); // no set after this one has been offered
        AtomicBoolean done = new AtomicBoolean();
        Queue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong picks = new AtomicLong();
        // Which set versions picks returned: written by the picking threads, read after they are joined.
        boolean[] seen = new boolean[swaps + 1];
        CountDownLatch started = new CountDownLatch(PICKERS);
        // Applied on the updating thread, each at once: when update() returns, its set is the current one.
        try (LoadBalancer lb = LoadBalancer.builder("backend").resolver(resolver).picker(factory)
                .scheduler(new ManualScheduler()).coalesceUpdates(Duration.ZERO).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < PICKERS; t++) {
                int id = t;
                PickRequest[] sessions = new PickRequest[SESSIONS];
                for (int k = 0; k < SESSIONS; k++) {
                    sessions[k] = PickRequest.sticky("session-" + id + "-" + k);
                }
                Thread thread = new Thread(() -> {
                    started.countDown();
                    int i = 0;
                    while (!done.get()) {
                        if (yieldBetweenPicks) {
                            Thread.yield();
                        }
                        long low = published.get();
                        Endpoint e;
                        try {
                            e = lb.pick(sessions[i++ % SESSIONS]);
                        } catch (RuntimeException ex) {
                            problems.add(ex.toString());
                            continue;
                        }
                        long high = publishing.get();
                        long v = e.port() - 10_000;
                        if (v < low || v > high) {
                            problems.add("picked " + e + " of set " + v + " while sets " + low + ".." + high + " were current");
                        }
                        seen[(int) v] = true;
                        picks.incrementAndGet();

                    }
                });
                thread.start();
                threads.add(thread);
            }
            started.await();
            for (int v = 1; v <= swaps; v++) {
                publishing.set(v);
                resolver.update(version(v));
                published.set(v);
            }
            done.set(true);
            for (Thread thread : threads) {
                thread.join();
            }
        }
        assertThat(problems).isEmpty();
        assertThat(picks.get()).isPositive();
        int versionsSeen = 0;
        for (boolean picked : seen) {
            versionsSeen += picked ? 1 : 0;
        }
        assertThat(versionsSeen).as("sets picks came from: the picks ran through the swaps")
                .isGreaterThanOrEqualTo((int) (swaps * minShareSeen));
    }
}
