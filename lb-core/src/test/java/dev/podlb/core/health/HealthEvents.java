package dev.podlb.core.health;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancerListener;
import java.time.Duration;
import java.util.List;

/**
 * The health events a load balancer announces, written as lines such as {@code "ejected a for PT30S"}
 * (a pod by its name) into a list the test reads; panic changes too when asked for.
 */
final class HealthEvents implements LoadBalancerListener {
    private final List<String> lines;
    private final boolean panic;

    HealthEvents(List<String> lines, boolean withPanic) {
        this.lines = lines;
        this.panic = withPanic;
    }

    @Override
    public void ejected(String service, Endpoint endpoint, Duration duration) {
        lines.add("ejected " + name(endpoint) + " for " + duration);
    }

    @Override
    public void readmitted(String service, Endpoint endpoint) {
        lines.add("readmitted " + name(endpoint));
    }

    @Override
    public void recovered(String service, Endpoint endpoint) {
        lines.add("recovered " + name(endpoint));
    }

    @Override
    public void panicChanged(String service, boolean panic) {
        if (this.panic) {
            lines.add(panic ? "panic" : "panic over");
        }
    }

    static String name(Endpoint endpoint) {
        return endpoint.podName().orElse(endpoint.authority());
    }
}
