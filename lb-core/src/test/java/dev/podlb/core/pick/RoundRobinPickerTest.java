package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.count;
import static dev.podlb.core.pick.Fixtures.endpoints;
import static dev.podlb.core.pick.Fixtures.picker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RoundRobinPickerTest {
    @Test
    void everyEndpointGetsExactlyItsTurnOnOneThread() {
        Map<Endpoint, Integer> counts = count(picker(Pickers.roundRobin(), endpoints(7)), 700);
        assertThat(counts).hasSize(7).allSatisfy((e, n) -> assertThat(n).isEqualTo(100));
    }

    @Test
    void consecutivePicksVisitEndpointsInOrder() {
        List<Endpoint> endpoints = endpoints(5);
        Picker picker = picker(Pickers.roundRobin(), endpoints);
        int first = endpoints.indexOf(picker.pick(PickRequest.none()));
        for (int i = 1; i < 12; i++) {
            assertThat(picker.pick(PickRequest.none())).isEqualTo(endpoints.get((first + i) % 5));
        }
    }

    @Test
    void rotationContinuesAcrossAChangeOfEndpoints() {
        PickerInstance roundRobin = Fixtures.instance(Pickers.roundRobin());
        List<Endpoint> endpoints = endpoints(4);
        Picker before = picker(roundRobin, endpoints);
        Endpoint last = null;
        for (int i = 0; i < 3; i++) {
            last = before.pick(PickRequest.none());
        }
        Picker after = picker(roundRobin, endpoints); // rebuilt, as on any set or health change
        assertThat(after.pick(PickRequest.none())).isEqualTo(endpoints.get((endpoints.indexOf(last) + 1) % 4));
    }

    @Test
    void anEjectedEndpointsShareSpreadsEvenlyOverTheRest() {
        PickerInstance roundRobin = Fixtures.instance(Pickers.roundRobin());
        List<Endpoint> endpoints = endpoints(4);
        count(picker(roundRobin, endpoints), 10);
        List<Endpoint> rest = new ArrayList<>(endpoints);
        rest.remove(1);
        Map<Endpoint, Integer> counts = count(picker(roundRobin, rest), 300);
        assertThat(counts).hasSize(3).allSatisfy((e, n) -> assertThat(n).isEqualTo(100));
    }

    @Test
    @Timeout(30)
    void picksStayEvenAcrossThreads() throws InterruptedException {
        Picker picker = picker(Pickers.roundRobin(), endpoints(10));
        Map<Endpoint, AtomicInteger> counts = new ConcurrentHashMap<>();
        int threads = 4;
        int perThread = 10_000;
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    counts.computeIfAbsent(picker.pick(PickRequest.none()), e -> new AtomicInteger()).incrementAndGet();
                }
            });
            thread.start();
            running.add(thread);
        }
        for (Thread thread : running) {
            thread.join();
        }
        int mean = threads * perThread / 10;
        // Each thread rotates on its own stripe, so each endpoint is within one pick per thread of the mean.
        assertThat(counts).hasSize(10).allSatisfy((e, n) -> assertThat(n.get()).isBetween(mean - threads, mean + threads));
    }
}
