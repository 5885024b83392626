package dev.podlb.benchmarks.fleet;

import dev.podlb.core.Endpoint;
import dev.podlb.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * Pods on loopback, one HTTP server each on 127.0.0.2, 127.0.0.3, …, answering after a service
 * time; pod 0 can be made slower or to pause. Servers set TCP_NODELAY, so a response is not held
 * 40 ms by Nagle's algorithm. A pod has {@link #WORKERS} workers, as a pod's thread pool or cores
 * bound it: a call waits, first come first served, while all are busy, so a pod sent more than it
 * can serve answers later, and a pause holds every call it has.
 */
public final class Fleet implements AutoCloseable {
    /** What pod 0 does; the others always answer after the fast service time. */
    public enum Mode {
        /** Like the others. */
        NORMAL,
        /** Ten times slower than the others. */
        SLOW,
        /** Like the others, but for the first 200 ms of every second it answers nothing (a GC pause). */
        PAUSING
    }

    /** Calls one pod serves at once. */
    public static final int WORKERS = 8;
    private static final Duration PAUSE = Duration.ofMillis(200);
    private static final Duration PAUSE_EVERY = Duration.ofSeconds(1);

    private final Duration serviceTime;
    private final List<MockWebServer> servers = new ArrayList<>();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final long epoch = System.nanoTime();
    private volatile Mode mode = Mode.NORMAL;
    /** MockWebServer keeps every request it served for a test to take: this thread takes them, so memory stays flat. */
    private final Thread drain;

    /** Starts {@code pods} servers answering after {@code serviceTime}. */
    public Fleet(int pods, Duration serviceTime) throws IOException {
        this.serviceTime = serviceTime;
        for (int i = 0; i < pods; i++) {
            MockWebServer server = new MockWebServer();
            boolean first = i == 0;
            Semaphore workers = new Semaphore(WORKERS, true);
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                    workers.acquire();
                    try {
                        serve(first);
                    } finally {
                        workers.release();
                    }
                    return new MockResponse.Builder().body("ok").build();
                }
            });
            server.setServerSocketFactory(new NoDelayServerSocketFactory());
            String address = "127.0.0." + (2 + i);
            server.start(InetAddress.getByName(address), 0);
            servers.add(server);
            endpoints.add(Endpoint.builder(address, server.getPort()).podName("pod-" + i).build());
        }
        drain = new Thread(this::drainRecordedRequests, "fleet-drain");
        drain.setDaemon(true);
        drain.start();
    }

    private void drainRecordedRequests() {
        try {
            while (true) {
                for (MockWebServer server : servers) {
                    while (server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
                        // dropped: only the load matters here
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve(boolean first) throws InterruptedException {
        Mode now = first ? mode : Mode.NORMAL;
        long sleepNanos = serviceTime.toNanos();
        if (now == Mode.SLOW) {
            sleepNanos *= 10;
        } else if (now == Mode.PAUSING) {
            long phase = (System.nanoTime() - epoch) % PAUSE_EVERY.toNanos();
            if (phase < PAUSE.toNanos()) {
                sleepNanos += PAUSE.toNanos() - phase;
            }
        }
        TimeUnit.NANOSECONDS.sleep(sleepNanos);
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    /** The pods, in order: pod 0 is the one {@link #mode} changes. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** {@code pod}'s base URL, {@code http://127.0.0.x:port/}. */
    public String url(Endpoint pod) {
        return "http://" + pod.authority() + "/";
    }

    @Override
    public void close() throws IOException {
        drain.interrupt();
        for (MockWebServer server : servers) {
            server.close();
        }
    }
}
