package dev.podlb.benchmarks.fleet;

import dev.podlb.core.Attempt;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickerPolicy;
import io.smallrye.stork.api.ServiceInstance;
import io.smallrye.stork.api.config.ConfigWithType;
import io.smallrye.stork.impl.DefaultServiceInstance;
import io.smallrye.stork.spi.internal.LoadBalancerLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** podlb and Stork as {@link Balancer}s over a {@link Fleet}'s pods. */
public final class Balancers {
    private Balancers() {}

    /**
     * podlb driven directly around the HTTP call: {@code lb.pick()}, {@code lb.start(pod)}, the
     * call, {@code attempt.end(outcome)}: what the OkHttp interceptor does for each attempt.
     */
    public static Balancer podlb(LoadBalancer lb, List<Endpoint> pods, Fleet fleet) {
        Map<Endpoint, Integer> index = new HashMap<>();
        String[] urls = new String[pods.size()];
        for (int i = 0; i < pods.size(); i++) {
            index.put(pods.get(i), i);
            urls[i] = fleet.url(pods.get(i));
        }
        return () -> {
            Endpoint pod = lb.pick();
            Attempt attempt = lb.start(pod);
            int i = index.get(pod);
            return new Balancer.Call(i, urls[i], status -> attempt.end(Outcome.response(status)),
                    error -> attempt.end(Outcome.ioFailure(error)));
        };
    }

    /** A podlb load balancer of {@code policy} over the fleet's pods, on the system clock. */
    public static LoadBalancer podlbBalancer(PickerPolicy policy, StaticResolver pods) {
        return LoadBalancer.builder("fleet").resolver(pods).picker(policy).build();
    }

    /**
     * The Stork load balancer of this type ({@code power-of-two-choices}, {@code least-response-time}),
     * found as Stork finds it (its {@link LoadBalancerLoader} service), or {@code null} when its jar is
     * not on the class path.
     */
    public static io.smallrye.stork.api.LoadBalancer storkLoadBalancer(String type) {
        ConfigWithType config = new ConfigWithType() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public Map<String, String> parameters() {
                return Map.of();
            }
        };
        for (LoadBalancerLoader loader : ServiceLoader.load(LoadBalancerLoader.class)) {
            if (loader.type().equals(type)) {
                return loader.createLoadBalancer(config, null);
            }
        }
        return null;
    }

    /**
     * Stork as its REST client uses it: {@code selectServiceInstance}, then {@code recordStart},
     * {@code recordReply} when the response comes and {@code recordEnd} when the call is over.
     */
    public static Balancer stork(io.smallrye.stork.api.LoadBalancer lb, Fleet fleet) {
        List<Endpoint> pods = fleet.endpoints();
        List<ServiceInstance> instances = new ArrayList<>();
        String[] urls = new String[pods.size()];
        for (int i = 0; i < pods.size(); i++) {
            Endpoint pod = pods.get(i);
            instances.add(new DefaultServiceInstance(i, pod.address().getHostAddress(), pod.port(), false));
            urls[i] = fleet.url(pod);
        }
        return () -> {
            ServiceInstance instance = lb.selectServiceInstance(instances);
            instance.recordStart(true);
            int i = (int) instance.getId();
            return new Balancer.Call(i, urls[i], status -> {
                instance.recordReply();
                instance.recordEnd(status >= 500 ? new IllegalStateException("HTTP " + status) : null);
            }, instance::recordEnd);
        };
    }
}
