package dev.podlb.okhttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;

/**
 * Connects to the pod's port when it differs from the URL's, as when a Service maps port 80 to a
 * pod's 8080: the URL, and with it the Host header, cookies and cache keys, keeps the service's
 * port while the socket reaches the pod's.
 */
final class PodPortSocketFactory extends SocketFactory {
    private final int port;

    PodPortSocketFactory(int port) {
        this.port = port;
    }

    @Override
    public Socket createSocket() {
        return new Socket() {
            @Override
            public void connect(SocketAddress endpoint, int timeout) throws IOException {
                InetSocketAddress requested = (InetSocketAddress) endpoint;
                super.connect(new InetSocketAddress(requested.getAddress(), port), timeout);
            }
        };
    }

    @Override
    public Socket createSocket(String host, int ignoredPort) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(String host, int ignoredPort, InetAddress localHost, int localPort) throws IOException {
        return new Socket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int ignoredPort) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int ignoredPort, InetAddress localAddress, int localPort)
            throws IOException {
        return new Socket(address, port, localAddress, localPort);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodPortSocketFactory && ((PodPortSocketFactory) o).port == port;
    }

    @Override
    public int hashCode() {
        return port;
    }
}
