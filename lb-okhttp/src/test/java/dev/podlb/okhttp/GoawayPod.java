package dev.podlb.okhttp;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2 (prior knowledge) pod that processes nothing: it answers the preface with its
 * SETTINGS, and as soon as a stream's HEADERS arrive sends GOAWAY with last-stream-id 0, so every
 * stream the client opened is above the last one processed. MockWebServer's GOAWAY counts the
 * current stream as processed, hence this small server writing raw frames.
 */
final class GoawayPod implements AutoCloseable {
    private static final int HEADERS = 0x1;
    private static final int SETTINGS = 0x4;
    private static final int GOAWAY = 0x7;

    private final ServerSocket socket;
    private final Thread acceptor;
    /** GOAWAY frames sent, each after the HEADERS of a stream. */
    final AtomicInteger goaways = new AtomicInteger();

    GoawayPod(String ip) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName(ip));
        acceptor = new Thread(this::accept, "goaway-pod-" + ip);
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
                Thread serving = new Thread(() -> {
                    try (connection) {
                        serve(connection);
                    } catch (IOException closed) {
                        // the client went away, or this pod was closed
                    }
                }, "goaway-pod-connection");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return; // this pod was closed
            }
        }
    }

    private void serve(Socket connection) throws IOException {
        DataInputStream in = new DataInputStream(connection.getInputStream());
        OutputStream out = connection.getOutputStream();
        in.readFully(new byte[24]); // PRI * HTTP/2.0 preface
        out.write(frame(SETTINGS, 0, new byte[0]));
        out.flush();
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            in.readInt(); // stream id
            in.readFully(new byte[length]);
            if (type == SETTINGS && (flags & 0x1) == 0) {
                out.write(frame(SETTINGS, 0x1, new byte[0]));
                out.flush();
            }
            if (type == HEADERS) {
                // last-stream-id 0, error NO_ERROR: no stream was processed.
                out.write(frame(GOAWAY, 0, new byte[8]));
                out.flush();
                goaways.incrementAndGet();
            }
        }
    }

    private static byte[] frame(int type, int flags, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
