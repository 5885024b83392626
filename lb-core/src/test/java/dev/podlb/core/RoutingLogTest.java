package dev.podlb.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.time.ManualScheduler;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the routing decision logs, read from the test logger's output (slf4j-simple writes to System.err). */
class RoutingLogTest {

    @Test
    void anUnknownPlaceIsLoggedAtInfoOncePerProcessNotOncePerLoadBalancer() {
        TopologyPolicy nowhere = TopologyPolicy.builder().locality(Locality.unknown()).build();
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 3; i++) {
                try (LoadBalancer lb = LoadBalancer.builder("backend-" + i).scheduler(new ManualScheduler())
                        .resolver(StaticResolver.of(Endpoint.of("10.0.0.1", 8080))).topology(nowhere).build()) {
                    assertThat(lb.status().routing()).isEqualTo("cluster");
                    assertThat(lb.status().routingReason()).startsWith("the client's zone and node are unknown");
                }
            }
        } finally {
            System.setErr(original);
        }
        long infoLines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.contains(" INFO ") && line.contains("the client's zone and node are unknown"))
                .count();
        // At most one: another test of this JVM may have logged the process's one line already.
        assertThat(infoLines).as("INFO lines for three load balancers").isLessThanOrEqualTo(1);
    }
}
