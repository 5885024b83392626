package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import java.io.IOException;
import java.net.ConnectException;
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

    /**
     * {@code failure} of an attempt on {@code pod}, naming the pod's port where OkHttp named the
     * URL's: OkHttp reports a failed connect as {@code Failed to connect to host/ip:<URL port>},
     * while the socket went to the pod's port. An operator reading the caller's exception or the
     * ejection log must be sent to the port that refused. Other failures are returned as they are.
     */
    static IOException namingPodPort(IOException failure, Endpoint pod, int urlPort) {
        String message = failure.getMessage();
        String ip = pod.address().getHostAddress();
        String address = ip.contains(":") ? "[" + ip + "]" : ip; // as InetSocketAddress prints it
        String asked = address + ":" + urlPort;
        if (pod.port() == urlPort || !(failure instanceof ConnectException) || message == null || !message.endsWith(asked)) {
            return failure;
        }
        ConnectException named = new ConnectException(message.substring(0, message.length() - asked.length())
                + address + ":" + pod.port());
        named.initCause(failure.getCause() != null ? failure.getCause() : failure);
        named.setStackTrace(failure.getStackTrace());
        for (Throwable suppressed : failure.getSuppressed()) {
            named.addSuppressed(suppressed);
        }
        return named;
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
