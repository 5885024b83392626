package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import okhttp3.Connection;
import okhttp3.ConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of balanced calls: a pool per pod, so that idle capacity grows with the number
 * of pods (round-robin over 200 pods keeps a connection to each) and a pod that leaves its set
 * takes only its own connections with it.
 *
 * <p>{@link #routingFor} and {@link #released} run on the threads that run calls;
 * {@link #endpointsChanged} on the load balancer's (or, for a load balancer the application gave,
 * in {@link #routingFor}). The pools are in concurrent maps, a map of pods per service, so that a
 * call finds its pod's without a key made for it; a pool created for a pod that left meanwhile is
 * closed when its connection is released.
 */
final class PodConnections implements CallListener {
    private static final Logger log = LoggerFactory.getLogger(PodConnections.class);

    private final int maxIdlePerPod;
    private final Duration keepAlive;
    private final Map<String, Map<InetSocketAddress, PodRouting>> pods = new ConcurrentHashMap<>();
    private final Map<String, EndpointSet> sets = new ConcurrentHashMap<>();
    private final Map<String, Supplier<EndpointSet>> unheard = new ConcurrentHashMap<>();
    private final StaleConnections stale = new StaleConnections();

    PodConnections(int maxIdlePerPod, Duration keepAlive) {
        this.maxIdlePerPod = maxIdlePerPod;
        this.keepAlive = keepAlive;
    }

    /**
     * Follows the set of a service whose load balancer the application gave: no event of it
     * reaches this, so its set is read whenever a pod new to these pools appears (a rollout is
     * under way) and when a connection is released.
     */
    void follow(String service, Supplier<EndpointSet> current) {
        unheard.put(service, current);
    }

    /** The idle times of pooled connections, to find those a pod closed while idle. */
    StaleConnections stale() {
        return stale;
    }

    /** The pool of {@code pod}'s connections for {@code service}, and what routes attempts to it. */
    PodRouting routingFor(String service, Endpoint pod) {
        PodRouting routing = existing(service, pod.socketAddress());
        if (routing != null) {
            return routing;
        }
        Supplier<EndpointSet> current = unheard.get(service);
        if (current != null) {
            endpointsChanged(service, current.get()); // the pods that left take their pools with them
        }
        return pods.computeIfAbsent(service, s -> new ConcurrentHashMap<>()).computeIfAbsent(pod.socketAddress(),
                a -> new PodRouting(new ConnectionPool(maxIdlePerPod, keepAlive.toNanos(), TimeUnit.NANOSECONDS)));
    }

    /**
     * A call let go of a connection to {@code pod}. When the pod has left its service's set, its
     * pool now closes every connection no call holds, this one included.
     */
    void released(String service, InetSocketAddress pod) {
        Supplier<EndpointSet> current = unheard.get(service);
        EndpointSet set = current != null ? current.get() : sets.get(service);
        if (pod != null && set != null && set.find(pod) == null) {
            closeLeft(service, pod);
        }
    }

    @Override
    public void endpointsChanged(String service, EndpointSet set) {
        sets.put(service, set);
        Map<InetSocketAddress, PodRouting> ofService = pods.get(service);
        if (ofService == null) {
            return;
        }
        for (InetSocketAddress pod : ofService.keySet()) {
            if (set.find(pod) == null) {
                closeLeft(service, pod);
                log.debug("{}: {} left; its idle connections closed", service, pod);
            }
        }
    }

    /** Closes the idle connections of a pod that left, and forgets its pool once it holds none. */
    private void closeLeft(String service, InetSocketAddress pod) {
        PodRouting routing = existing(service, pod);
        if (routing == null) {
            return;
        }
        routing.pool.evictAll();
        if (routing.pool.connectionCount() == 0) {
            pods.get(service).remove(pod, routing);
        }
    }

    /**
     * Closes the idle connections of {@code pod}'s pool for {@code service}: one of them was found
     * closed by the pod, and those idle as long are likely closed too.
     */
    void closeIdle(String service, Endpoint pod) {
        PodRouting routing = existing(service, pod.socketAddress());
        if (routing != null) {
            routing.pool.evictAll();
        }
    }

    /** The pool and routing of {@code service}'s pod at {@code pod}, or {@code null} when none was made. */
    private PodRouting existing(String service, InetSocketAddress pod) {
        Map<InetSocketAddress, PodRouting> ofService = pods.get(service);
        return ofService != null ? ofService.get(pod) : null;
    }

    /** Connections open to pods, idle or in use. */
    int connectionCount() {
        return pools().mapToInt(ConnectionPool::connectionCount).sum();
    }

    /** Connections open to pods that no call uses now. */
    int idleConnectionCount() {
        return pools().mapToInt(ConnectionPool::idleConnectionCount).sum();
    }

    /** Closes every idle connection; those in use close when their calls end. */
    void closeAll() {
        pools().forEach(ConnectionPool::evictAll);
        pods.clear();
    }

    private Stream<ConnectionPool> pools() {
        return pods.values().stream().flatMap(ofService -> ofService.values().stream()).map(routing -> routing.pool);
    }

    /**
     * Where {@code connection} goes: the pod's address and port, as the socket reaches them. That
     * is most often the route's own address, which is then returned rather than a new one; the
     * socket differs from it when the pod's port is not the URL's ({@link PodPortSocketFactory}).
     */
    static InetSocketAddress remote(Connection connection) {
        Socket socket = connection.socket();
        InetAddress address = socket.getInetAddress();
        if (address == null) {
            return null;
        }
        InetSocketAddress route = connection.route().socketAddress();
        return socket.getPort() == route.getPort() && address.equals(route.getAddress())
                ? route : new InetSocketAddress(address, socket.getPort());
    }
}
