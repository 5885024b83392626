package dev.podlb.examples;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.LoadBalancerListener;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Pickers;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * podlb's core over a static set of three pods: round-robin spread, sticky sessions that stay put
 * when a pod leaves, a pinned call, and a failing pod ejected and brought back. Nothing is called
 * over the network; the calls' outcomes are reported as if they had been made.
 */
public final class StaticSetDemo {
    private static final Endpoint POD_0 = Endpoint.builder("10.0.0.10", 8080).podName("backend-0").build();
    private static final Endpoint POD_1 = Endpoint.builder("10.0.0.11", 8080).podName("backend-1").build();
    private static final Endpoint POD_2 = Endpoint.builder("10.0.0.12", 8080).podName("backend-2").build();
    private static final List<String> SESSIONS = List.of("alice", "bob", "carol", "dave", "erin", "frank");

    private StaticSetDemo() {}

    public static void main(String[] args) {
        StaticResolver pods = StaticResolver.of(POD_0, POD_1, POD_2);
        ManualScheduler clock = new ManualScheduler(); // simulated time: the demo skips ejections' 30 s
        LoadBalancerListener narrator = new LoadBalancerListener() {
            @Override
            public void ejected(String service, Endpoint endpoint, Duration duration) {
                System.out.printf("    event: %s ejected for %ss%n", name(endpoint), duration.toSeconds());
            }

            @Override
            public void recovered(String service, Endpoint endpoint) {
                System.out.printf("    event: %s healthy again%n", name(endpoint));
            }
        };

        System.out.println("podlb over static:///10.0.0.10:8080,10.0.0.11:8080,10.0.0.12:8080\n");
        try (LoadBalancer roundRobin = LoadBalancer.builder("backend").resolver(pods).scheduler(clock)
                .listener(narrator).build();
             LoadBalancer sticky = LoadBalancer.builder("backend").resolver(pods).picker(Pickers.sticky()).build()) {

            System.out.println("1. Round-robin, 300 calls");
            printSpread(roundRobin, 300);

            System.out.println("\n2. Sticky sessions: the same key reaches the same pod");
            Map<String, String> before = stickyTable(sticky);
            before.forEach((session, pod) -> System.out.printf("    %-6s -> %s%n", session, pod));

            System.out.println("\n   backend-1 leaves: only its sessions move");
            pods.update(List.of(POD_0, POD_2));
            Map<String, String> after = stickyTable(sticky);
            after.forEach((session, pod) -> System.out.printf("    %-6s -> %-10s %s%n", session, pod,
                    pod.equals(before.get(session)) ? "" : "(moved from " + before.get(session) + ")"));
            pods.update(List.of(POD_0, POD_1, POD_2));

            System.out.println("\n3. Pinned calls go to the named pod, and only to a discovered one");
            System.out.println("    pin backend-2      -> " + name(roundRobin.pick(PickRequest.pinned("backend-2"))));
            try {
                roundRobin.pick(PickRequest.pinned("169.254.169.254:80"));
            } catch (NoEndpointException e) {
                System.out.println("    pin 169.254.169.254:80 -> refused: " + e.getMessage());
            }

            System.out.println("\n4. backend-1 fails five calls in a row");
            for (int i = 0; i < 5; i++) {
                roundRobin.report(POD_1, Outcome.response(503));
            }
            printSpread(roundRobin, 300);
            System.out.println("   30 s later (simulated) it is tried again, answers, and is back in rotation");
            clock.advance(Duration.ofSeconds(30));
            roundRobin.report(POD_1, Outcome.response(200));
            printSpread(roundRobin, 300);
            System.out.println("\n" + roundRobin.status());
        }
    }

    private static Map<String, String> stickyTable(LoadBalancer lb) {
        Map<String, String> table = new TreeMap<>();
        for (String session : SESSIONS) {
            String pod = name(lb.pick(PickRequest.sticky(session)));
            for (int i = 0; i < 10; i++) {
                if (!name(lb.pick(PickRequest.sticky(session))).equals(pod)) {
                    throw new AssertionError("session " + session + " moved without a change");
                }
            }
            table.put(session, pod);
        }
        return table;
    }

    private static void printSpread(LoadBalancer lb, int calls) {
        Map<String, Integer> spread = new TreeMap<>(Map.of("backend-0", 0, "backend-1", 0, "backend-2", 0));
        for (int i = 0; i < calls; i++) {
            spread.merge(name(lb.pick()), 1, Integer::sum);
        }
        spread.forEach((pod, n) -> System.out.printf("    %-10s %4d  %s%n", pod, n, "#".repeat(n / 5)));
    }

    private static String name(Endpoint endpoint) {
        return endpoint.podName().orElse(endpoint.authority());
    }
}
