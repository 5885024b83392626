package dev.podlb.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * Pods for tests: HTTP servers on loopback addresses sharing one port, each answering with its
 * address, that can be stopped and started again on the same address and port. Each pod counts
 * the requests it received ({@link #requestsTo}), across restarts; every request carrying an
 * {@code X-Request-Id} is counted too, with the pods it reached in order
 * ({@link #receivedWithId}, {@link #podsReached}), so that a test can tell whether a request
 * reached the pods once, never, or twice, and where.
 *
 * <pre>{@code
 * try (LocalPods pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
 *     // ... call http://backend.default.svc.cluster.local:<pods.port()>/ through podlb ...
 *     pods.stop("127.0.0.3");                        // connections cut, new ones refused
 *     int answered = pods.requestsTo("127.0.0.2");
 * }
 * }</pre>
 *
 * Linux serves every address of 127.0.0.0/8 without set-up; macOS needs an alias per address
 * ({@code sudo ifconfig lo0 alias 127.0.0.2}).
 */
public final class LocalPods implements AutoCloseable {
    private final Map<String, MockWebServer> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> receivedByPod = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> receivedById = new ConcurrentHashMap<>();
    private final Map<String, List<String>> podsById = new ConcurrentHashMap<>();
    private final Map<String, Set<Integer>> connectionsByPod = new ConcurrentHashMap<>();
    private volatile Function<String, MockResponse> behaviour = ip -> new MockResponse.Builder().body(ip).build();
    private int port;

    public LocalPods(String... ips) {
        for (String ip : ips) {
            start(ip);
        }
    }

    public int port() {
        return port;
    }

    /** How each pod answers, by its address; by default with its address. */
    public void behaviour(Function<String, MockResponse> behaviour) {
        this.behaviour = behaviour;
    }

    public synchronized void start(String ip) {
        MockWebServer server = new MockWebServer();
        server.setServerSocketFactory(new NoDelayServerSocketFactory());
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                receivedByPod.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
                String id = request.getHeaders().get("X-Request-Id");
                if (id != null) {
                    receivedById.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                    podsById.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(ip);
                }
                connectionsByPod.computeIfAbsent(ip, k -> ConcurrentHashMap.newKeySet()).add(request.getConnectionIndex());
                return behaviour.apply(ip);
            }
        });
        try {
            server.start(InetAddress.getByName(ip), port);
        } catch (IOException e) {
            throw new UncheckedIOException("pod " + ip + " could not start on port " + port, e);
        }
        port = server.getPort();
        running.put(ip, server);
        connectionsByPod.remove(ip);
    }

    /** Stops the pod: open connections are cut, new ones refused. */
    public void stop(String ip) {
        MockWebServer server = running.remove(ip);
        if (server != null) {
            server.close();
        }
    }

    /**
     * Stops and restarts {@code ips} one at a time, each down for 500 ms with 500 ms between, until
     * {@code running} is false; counts each restart in {@code restarts}. Returns the started thread.
     */
    public Thread restartOneAtATime(String[] ips, AtomicBoolean running, AtomicInteger restarts) {
        Thread chaos = new Thread(() -> {
            for (int i = 0; running.get(); i++) {
                String ip = ips[i % ips.length];
                stop(ip);
                sleep(500);
                start(ip);
                restarts.incrementAndGet();
                sleep(500);
            }
        }, "chaos");
        chaos.start();
        return chaos;
    }

    /** The server of the running pod {@code ip}, to look at the requests it recorded; {@code null} when stopped. */
    public MockWebServer server(String ip) {
        return running.get(ip);
    }

    /** How many requests pod {@code ip} received, across its restarts. */
    public int requestsTo(String ip) {
        AtomicInteger n = receivedByPod.get(ip);
        return n == null ? 0 : n.get();
    }

    /** How many times the request with this {@code X-Request-Id} reached a pod, any pod. */
    public int receivedWithId(String id) {
        AtomicInteger n = receivedById.get(id);
        return n == null ? 0 : n.get();
    }

    /**
     * {@link #receivedWithId}: counts by request id, not by pod ({@link #requestsTo} does that).
     *
     * @deprecated the name read as a count by pod; kept while tests written against it move
     */
    @Deprecated
    public int received(String id) {
        return receivedWithId(id);
    }

    /** The pods the request with this id reached, in order. */
    public List<String> podsReached(String id) {
        List<String> reached = podsById.get(id);
        return reached == null ? List.of() : List.copyOf(reached);
    }

    /** Connections over which pod {@code ip} received requests since it last started. */
    public int connections(String ip) {
        Set<Integer> connections = connectionsByPod.get(ip);
        return connections == null ? 0 : connections.size();
    }

    public Map<String, AtomicInteger> receivedById() {
        return receivedById;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running.keySet().forEach(this::stop);
    }
}
