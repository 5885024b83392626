package dev.podlb.okhttp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 pod that closes a keep-alive connection left idle for {@code idleMillis}, as nginx's
 * {@code keepalive_timeout} or Node.js's {@code keepAliveTimeout} do: a client that sends its next
 * request on that connection finds it closed. It answers {@code taken <body>} and counts each
 * body it received.
 */
final class IdleClosingPod implements AutoCloseable {
    private final ServerSocket socket;
    private final int idleMillis;
    /** Times each request body arrived. */
    final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    /** Connections this pod closed because they were idle. */
    final AtomicInteger idleCloses = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();

    IdleClosingPod(String ip, int idleMillis) throws IOException {
        this.socket = new ServerSocket(0, 50, InetAddress.getByName(ip));
        this.idleMillis = idleMillis;
        Thread acceptor = new Thread(this::accept, "idle-closing-pod-" + ip);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.incrementAndGet();
                Thread serving = new Thread(() -> serve(connection), "idle-closing-pod-connection");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setSoTimeout(idleMillis);
            connection.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(connection.getInputStream());
            OutputStream out = connection.getOutputStream();
            while (true) {
                String head;
                try {
                    head = readHead(in);
                } catch (SocketTimeoutException idle) {
                    idleCloses.incrementAndGet();
                    return;
                }
                if (head == null) {
                    return;
                }
                int length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                byte[] body = in.readNBytes(length);
                String text = new String(body, StandardCharsets.UTF_8);
                received.computeIfAbsent(text, k -> new AtomicInteger()).incrementAndGet();
                byte[] answer = ("taken " + text).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(answer);
                out.flush();
            }
        } catch (IOException gone) {
            // the client closed the connection
        }
    }

    /** The request line and headers, or {@code null} at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b == -1) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
