package dev.podlb.okhttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Objects;
import javax.net.SocketFactory;

/**
 * Connects to the pod's port when it differs from the URL's, as when a Service maps port 80 to a
 * pod's 8080: the URL, and with it the Host header, cookies and cache keys, keeps the service's
 * port while the socket reaches the pod's. Only a connect to the pod at the URL's port is mapped;
 * any other (another host after a redirect) goes where it was asked to.
 */
final class PodPortSocketFactory extends SocketFactory {
    private final InetSocketAddress asked;
    private final int podPort;

    PodPortSocketFactory(InetAddress pod, int urlPort, int podPort) {
        this.asked = new InetSocketAddress(pod, urlPort);
        this.podPort = podPort;
    }

    private SocketAddress target(SocketAddress endpoint) {
        return asked.equals(endpoint) ? new InetSocketAddress(asked.getAddress(), podPort) : endpoint;
    }

    private int port(InetAddress host, int port) {
        return asked.getAddress().equals(host) && asked.getPort() == port ? podPort : port;
    }

    /** A host given by name is the pod only when the name is the pod's address itself. */
    private int port(String host, int port) {
        return asked.getAddress().getHostAddress().equals(host) && asked.getPort() == port ? podPort : port;
    }

    @Override
    public Socket createSocket() {
        return new Socket() {
            @Override
            public void connect(SocketAddress endpoint, int timeout) throws IOException {
                super.connect(target(endpoint), timeout);
            }
        };
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return new Socket(host, port(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return new Socket(host, port(host, port), localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return new Socket(host, port(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return new Socket(address, port(address, port), localAddress, localPort);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodPortSocketFactory other && other.asked.equals(asked) && other.podPort == podPort;
    }

    @Override
    public int hashCode() {
        return Objects.hash(asked, podPort);
    }
}
