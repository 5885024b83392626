package dev.podlb.benchmarks.peers;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.StaticResolver;
import dev.podlb.core.pick.PickRequest;
import dev.podlb.core.pick.Pickers;
import io.netty.util.AttributeKey;
import io.smallrye.stork.api.ServiceInstance;
import io.smallrye.stork.impl.RoundRobinLoadBalancer;
import io.smallrye.stork.loadbalancer.poweroftwochoices.PowerOfTwoChoicesConfiguration;
import io.smallrye.stork.loadbalancer.poweroftwochoices.PowerOfTwoChoicesLoadBalancerProvider;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;

/**
 * Each library's picker over the same endpoints, built through its public API, doing the work
 * podlb's pick does. {@link #create} names them as the benchmarks' {@code picker} parameter does.
 */
public final class Peers {
    /** Sticky keys cycle through this many distinct session ids, the same for every library. */
    public static final int KEYS = 1 << 10;

    private static final AttributeKey<Long> STICKY_KEY = AttributeKey.valueOf(Peers.class, "stickyKey");

    private Peers() {}

    /** Endpoint {@code i} of every benchmark: 10.x.y.z:8080, where x.y.z is {@code i} in base 256. */
    public static InetSocketAddress address(int i) {
        return new InetSocketAddress("10." + (i >> 16) + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF), 8080);
    }

    /** Endpoints 1 to {@code count} ({@link #address}), the list every library is given. */
    public static List<InetSocketAddress> addresses(int count) {
        List<InetSocketAddress> list = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            list.add(address(i));
        }
        return list;
    }

    /** podlb's endpoints at {@code addresses}, ready and with nothing but an address. */
    public static List<Endpoint> podlbEndpoints(List<InetSocketAddress> addresses) {
        List<Endpoint> list = new ArrayList<>(addresses.size());
        for (InetSocketAddress address : addresses) {
            list.add(Endpoint.of(address.getAddress(), address.getPort()));
        }
        return list;
    }

    /** A podlb load balancer of service {@code backend} over {@code endpoints}, round-robin or sticky. */
    public static LoadBalancer podlbBalancer(List<Endpoint> endpoints, boolean sticky) {
        return LoadBalancer.builder("backend").resolver(StaticResolver.of(endpoints))
                .picker(sticky ? Pickers.sticky() : Pickers.roundRobin()).build();
    }

    /** A 64-bit key for session {@code i}, for the libraries whose sticky pickers take a number. */
    public static long keyOf(long i) {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The session id podlb is given for session {@code i}: a string, as a header or cookie value is. */
    public static String sessionOf(long i) {
        return "session-" + i;
    }

    public static PeerPicker create(String name, List<InetSocketAddress> endpoints) {
        switch (name) {
            case "baselineAtomicCounter":
                return baseline(endpoints);
            case "podlbRoundRobin":
                return podlb(endpoints, false);
            case "podlbSticky":
                return podlb(endpoints, true);
            case "armeriaRoundRobin":
                return armeria(endpoints, EndpointSelectionStrategy.roundRobin(), false);
            case "armeriaSticky":
                return armeria(endpoints, EndpointSelectionStrategy.sticky(ctx -> ctx.attr(STICKY_KEY)), true);
            case "springCloudRoundRobin":
                return springCloud(endpoints);
            case "storkRoundRobin":
                return stork(endpoints, new RoundRobinLoadBalancer());
            case "storkPowerOfTwoChoices":
                return stork(endpoints, new PowerOfTwoChoicesLoadBalancerProvider()
                        .createLoadBalancer(new PowerOfTwoChoicesConfiguration(), null));
            case "grpcRoundRobin":
                return GrpcPeers.roundRobin(endpoints);
            default:
                throw new IllegalArgumentException("unknown picker " + name);
        }
    }

    /**
     * A sticky picker whose {@code pick(i)} maps the i-th distinct session to the address of its
     * endpoint, for measuring balance and movement over many keys: {@code podlb} or {@code armeria}.
     */
    public static PeerPicker stickyByIndex(String name, List<InetSocketAddress> endpoints) {
        switch (name) {
            case "podlb": {
                LoadBalancer lb = podlbBalancer(podlbEndpoints(endpoints), true);
                return i -> lb.pick(PickRequest.sticky(sessionOf(i))).socketAddress();
            }
            case "armeria": {
                EndpointGroup group = armeriaGroup(endpoints, EndpointSelectionStrategy.sticky(ctx -> ctx.attr(STICKY_KEY)));
                ClientRequestContext ctx = ClientRequestContext.of(HttpRequest.of(HttpMethod.GET, "/"));
                return i -> {
                    ctx.setAttr(STICKY_KEY, keyOf(i));
                    com.linecorp.armeria.client.Endpoint e = group.selectNow(ctx);
                    return new InetSocketAddress(e.host(), e.port());
                };
            }
            default:
                throw new IllegalArgumentException("no sticky picker named " + name);
        }
    }

    private static PeerPicker baseline(List<InetSocketAddress> endpoints) {
        InetSocketAddress[] array = endpoints.toArray(new InetSocketAddress[0]);
        AtomicInteger counter = new AtomicInteger();
        return key -> array[Math.floorMod(counter.getAndIncrement(), array.length)];
    }

    private static PeerPicker podlb(List<InetSocketAddress> endpoints, boolean sticky) {
        LoadBalancer lb = podlbBalancer(podlbEndpoints(endpoints), sticky);
        if (!sticky) {
            return key -> lb.pick();
        }
        PickRequest[] requests = new PickRequest[KEYS];
        for (int i = 0; i < KEYS; i++) {
            requests[i] = PickRequest.sticky(sessionOf(i));
        }
        return key -> lb.pick(requests[(int) (key & (KEYS - 1))]);
    }

    private static EndpointGroup armeriaGroup(List<InetSocketAddress> endpoints, EndpointSelectionStrategy strategy) {
        List<com.linecorp.armeria.client.Endpoint> list = new ArrayList<>();
        for (InetSocketAddress address : endpoints) {
            list.add(com.linecorp.armeria.client.Endpoint.of(address.getAddress().getHostAddress(), address.getPort()));
        }
        return EndpointGroup.of(strategy, list);
    }

    private static PeerPicker armeria(List<InetSocketAddress> endpoints, EndpointSelectionStrategy strategy, boolean sticky) {
        EndpointGroup group = armeriaGroup(endpoints, strategy);
        // One request context per thread, as a client has one per call; the sticky key is set on it per pick.
        ThreadLocal<ClientRequestContext> contexts = ThreadLocal.withInitial(
                () -> ClientRequestContext.of(HttpRequest.of(HttpMethod.GET, "/")));
        long[] keys = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = keyOf(i);
        }
        if (!sticky) {
            return key -> group.selectNow(contexts.get());
        }
        return key -> {
            ClientRequestContext ctx = contexts.get();
            ctx.setAttr(STICKY_KEY, keys[(int) (key & (KEYS - 1))]);
            return group.selectNow(ctx);
        };
    }

    private static PeerPicker springCloud(List<InetSocketAddress> endpoints) {
        org.springframework.cloud.client.ServiceInstance[] instances = new org.springframework.cloud.client.ServiceInstance[endpoints.size()];
        for (int i = 0; i < instances.length; i++) {
            InetSocketAddress address = endpoints.get(i);
            instances[i] = new DefaultServiceInstance("backend-" + i, "backend", address.getAddress().getHostAddress(),
                    address.getPort(), false);
        }
        org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer lb =
                new org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer(
                        ServiceInstanceListSuppliers.toProvider("backend", instances), "backend");
        DefaultRequest<Object> request = new DefaultRequest<>();
        return key -> lb.choose(request).block().getServer();
    }

    private static PeerPicker stork(List<InetSocketAddress> endpoints, io.smallrye.stork.api.LoadBalancer lb) {
        List<ServiceInstance> instances = new ArrayList<>();
        for (int i = 0; i < endpoints.size(); i++) {
            InetSocketAddress address = endpoints.get(i);
            instances.add(new io.smallrye.stork.impl.DefaultServiceInstance(i, address.getAddress().getHostAddress(),
                    address.getPort(), false));
        }
        return key -> lb.selectServiceInstance(instances);
    }
}
