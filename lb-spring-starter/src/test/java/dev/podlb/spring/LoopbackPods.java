package dev.podlb.spring;

import dev.podlb.testing.NoDelayServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** HTTP servers on loopback addresses, one port for all, each answering with its address; closed together. */
final class LoopbackPods implements AutoCloseable {
    private final Map<String, MockWebServer> pods = new LinkedHashMap<>();
    private int port;

    /** Starts a pod at {@code ip} that answers after {@code headersDelayMillis} (0: at once). */
    LoopbackPods start(String ip, long headersDelayMillis) throws IOException {
        return start(ip, headersDelayMillis, 200);
    }

    /** Starts a pod at {@code ip} that answers {@code status} after {@code headersDelayMillis}. */
    LoopbackPods start(String ip, long headersDelayMillis, int status) throws IOException {
        MockWebServer pod = new MockWebServer();
        pod.setServerSocketFactory(new NoDelayServerSocketFactory());
        pod.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().code(status).body(ip).headersDelay(headersDelayMillis, TimeUnit.MILLISECONDS).build();
            }
        });
        pod.start(InetAddress.getByName(ip), port);
        port = pod.getPort();
        pods.put(ip, pod);
        return this;
    }

    LoopbackPods start(String... ips) throws IOException {
        for (String ip : ips) {
            start(ip, 0);
        }
        return this;
    }

    /** A port on which nothing listens at {@code ip} now: connections to it are refused. */
    static int closedPort(String ip) throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    /** {@code static:///ip:port,...} of every pod. */
    String staticTarget() {
        StringBuilder target = new StringBuilder("static:///");
        pods.keySet().forEach(ip -> target.append(target.length() > 10 ? "," : "").append(ip).append(':').append(port));
        return target.toString();
    }

    int requests(String ip) {
        return pods.get(ip).getRequestCount();
    }

    @Override
    public void close() {
        pods.values().forEach(MockWebServer::close);
    }
}
