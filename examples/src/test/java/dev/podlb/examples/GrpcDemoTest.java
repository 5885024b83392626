package dev.podlb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's gRPC demo runs as written and shows what it says. */
class GrpcDemoTest {
    @Test
    @Timeout(60)
    void oneChannelSpreadsItsCallsKeepsAStickyKeyOnOnePodAndPicksUpAnAddedPod() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        GrpcDemo.run(new PrintStream(printed, true, StandardCharsets.UTF_8));
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();

        // The first calls may start before every pod is connected: each pod gets about a third.
        assertThat(lines.get(1)).startsWith("30 calls on one channel: {").contains("127.0.0.2=", "127.0.0.3=", "127.0.0.4=");
        assertThat(lines.get(2)).startsWith("10 calls with sticky key user-42: {127.0.0.").endsWith("=10}");
        assertThat(lines.get(3)).startsWith("a pod added to DNS (TTL 1 s) got its first call after");
        assertThat(lines.get(4)).contains("127.0.0.2=", "127.0.0.3=", "127.0.0.4=", "127.0.0.5=");
    }
}
