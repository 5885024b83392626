package dev.podlb.examples.spring;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Stand-ins for the backend's pods on a machine without a cluster: an HTTP server at each address
 * of {@code example.local-pods}, answering every request with its name ({@code pod-1}, …). Off
 * when the property is empty, as it is against a real cluster.
 */
@Component
@ConditionalOnProperty(name = "example.local-pods")
class LocalPods implements DisposableBean {
    static {
        // The JDK's server otherwise answers small responses 40 ms late (Nagle's algorithm).
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final List<HttpServer> servers = new ArrayList<>();
    private final ExecutorService executor = Executors.newFixedThreadPool(4);

    LocalPods(@Value("${example.local-pods}") List<String> addresses) {
        try {
            for (String address : addresses) {
                servers.add(start("pod-" + (servers.size() + 1), address.strip()));
            }
        } catch (IOException e) {
            destroy();
            throw new UncheckedIOException("could not start the local pods at " + addresses + ": " + e.getMessage()
                    + "; expected free host:port pairs, such as 127.0.0.1:8081 (set example.local-pods)", e);
        }
    }

    private HttpServer start(String name, String address) throws IOException {
        int colon = address.lastIndexOf(':');
        HttpServer server = HttpServer.create(new InetSocketAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))), 50);
        server.createContext("/", exchange -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(executor);
        server.start();
        return server;
    }

    @Override
    public void destroy() {
        servers.forEach(server -> server.stop(0));
        executor.shutdownNow();
    }
}
