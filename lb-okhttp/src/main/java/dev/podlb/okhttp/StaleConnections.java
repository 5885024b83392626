package dev.podlb.okhttp;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.Connection;
import okhttp3.Protocol;

/**
 * Finds the pooled HTTP/1 connections a pod closed while they sat idle, before a request goes on
 * one: a pod's keep-alive timeout (nginx's, Node.js's 5 s) often ends a connection long before
 * OkHttp checks it (OkHttp checks a pooled connection only after 10 s idle, and not for GETs).
 *
 * <p>An HTTP/1 connection idle for {@link #CHECK_AFTER_NANOS} or more is checked as it is taken: a read
 * of at most 1 ms on its socket, where an idle HTTP/1 connection has nothing to read. The end of
 * the stream (the pod closed it) or any byte (the connection is out of step) marks it stale: its
 * socket is closed at once, so the request fails before any byte of it leaves, and it can be sent
 * again on a fresh connection without the pod ever receiving it twice. Apache HttpClient validates
 * connections idle for 2 s the same way.
 *
 * <p>{@link #released} and {@link #checkStale} run on the threads that run calls; the map of idle
 * times is guarded by this object and holds connections weakly, so a connection the pool evicts
 * is forgotten with it.
 */
final class StaleConnections {
    static final long CHECK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Marks a connection taken since it was last released: it is not known to be idle. */
    private static final long TAKEN = Long.MIN_VALUE;

    /**
     * When each connection was last released, or {@link #TAKEN}. An entry stays for as long as its
     * connection lives and is overwritten in place, so a call's release and take allocate nothing.
     */
    private final Map<Connection, IdleSince> idleSince = new WeakHashMap<>();

    private static final class IdleSince {
        long nanos = TAKEN;
    }

    /**
     * A call let go of {@code connection}: an HTTP/1 connection carries one call at a time, so it is
     * idle from now on. Only HTTP/1 connections are checked, so only their idle times are kept: an
     * HTTP/2 call takes no lock and reads no clock here.
     */
    void released(Connection connection) {
        if (!http1(connection)) {
            return;
        }
        long now = System.nanoTime();
        synchronized (this) {
            idleSince.computeIfAbsent(connection, c -> new IdleSince()).nanos = now;
        }
    }

    /**
     * Checks {@code connection}, just acquired without a connect, and closes it when the pod
     * closed it; returns whether it did.
     */
    boolean checkStale(Connection connection) {
        if (!http1(connection)) {
            return false;
        }
        long since;
        synchronized (this) {
            IdleSince idle = idleSince.get(connection);
            if (idle == null) {
                return false;
            }
            since = idle.nanos;
            idle.nanos = TAKEN;
        }
        if (since == TAKEN || System.nanoTime() - since < CHECK_AFTER_NANOS) {
            return false;
        }
        Socket socket = connection.socket();
        try {
            int timeout = socket.getSoTimeout();
            try {
                socket.setSoTimeout(1);
                InputStream in = socket.getInputStream();
                in.read();
            } finally {
                socket.setSoTimeout(timeout);
            }
            socket.close(); // the end of the stream, or a byte no request asked for
            return true;
        } catch (SocketTimeoutException healthy) {
            return false; // nothing to read within 1 ms: still open
        } catch (IOException broken) {
            closeQuietly(socket);
            return true;
        }
    }

    /** Whether {@code connection} speaks HTTP/1, whose idle connections have nothing to read. */
    private static boolean http1(Connection connection) {
        Protocol protocol = connection.protocol();
        return protocol == Protocol.HTTP_1_1 || protocol == Protocol.HTTP_1_0;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already broken; the request fails on it and goes again on a fresh connection
        }
    }
}
