package dev.podlb.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import javax.net.ServerSocketFactory;

/**
 * Server sockets whose accepted connections set {@code TCP_NODELAY}. Give it to a test HTTP server
 * (MockWebServer's {@code setServerSocketFactory}): without it, Nagle's algorithm and delayed ACKs
 * hold each response for 40 ms, and a test or benchmark measures nothing but that. They also
 * always reuse their address: a pod restarted on its address and port then binds at once, although
 * the connections its stop cut linger in TIME_WAIT (MockWebServer turns the option off, and the
 * bind would fail with "address already in use").
 */
public final class NoDelayServerSocketFactory extends ServerSocketFactory {
    @Override
    public ServerSocket createServerSocket() throws IOException {
        return new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                Socket socket = super.accept();
                socket.setTcpNoDelay(true);
                return socket;
            }

            @Override
            public void setReuseAddress(boolean on) throws SocketException {
                super.setReuseAddress(true);
            }
        };
    }

    @Override
    public ServerSocket createServerSocket(int port) {
        throw new UnsupportedOperationException("bind the unbound socket of createServerSocket()");
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) {
        throw new UnsupportedOperationException("bind the unbound socket of createServerSocket()");
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress address) {
        throw new UnsupportedOperationException("bind the unbound socket of createServerSocket()");
    }
}
