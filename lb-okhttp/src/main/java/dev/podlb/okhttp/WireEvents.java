package dev.podlb.okhttp;

import dev.podlb.core.health.Outcome;
import java.net.InetSocketAddress;
import java.net.Proxy;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.Request;
import okhttp3.Response;

/**
 * What happened on the wire during one attempt, from OkHttp's own events rather than from
 * exception messages: whether the request may have left, which connection carried it, which pod
 * answered, and whether a redirect took the attempt to another host. Each attempt is its own
 * listener ({@link Attempt} extends this, one object an attempt where there were two): the first
 * listens to the application's call, every later one to the call of its own it runs on
 * ({@link AttemptCalls}), so no fact of one attempt is charged to another.
 *
 * <p>The call's thread runs the interceptor and most events; OkHttp may report connection events
 * from its connect threads, so every field the events change is volatile.
 */
abstract class WireEvents extends EventListener {
    /** The service whose balanced host the attempt's request names. */
    final Balanced balanced;
    /** The application's request, whose host is the balanced one. */
    final Request request;

    /** The connection the attempt's call holds now. */
    private volatile Connection held;
    private volatile boolean requestStarted;
    private volatile InetSocketAddress answeredBy;
    private volatile int answeredStatus = -1;
    private volatile boolean leftHost;
    private volatile boolean connecting;
    private volatile boolean staleFound;
    private volatile boolean responseStarted;

    WireEvents(Balanced balanced, Request request) {
        this.balanced = balanced;
        this.request = request;
    }

    /** Listens to {@code call}, which runs this attempt. */
    final void listenTo(Call call) {
        call.addEventListener(this);
    }

    /** Whether any byte of the attempt's request may have been written. */
    boolean requestStarted() {
        return requestStarted;
    }

    /** The pod whose response the attempt read last, or {@code null} when no pod answered. */
    InetSocketAddress answeredBy() {
        return answeredBy;
    }

    /** The status of that response, or -1. */
    int answeredStatus() {
        return answeredStatus;
    }

    /** Where the connection the attempt used last goes, or {@code null} when it holds none. */
    private InetSocketAddress connectedTo() {
        Connection connection = held;
        return connection == null ? null : PodConnections.remote(connection);
    }

    /**
     * What {@code response}, the attempt's, tells of its pod: the status the pod answered with when
     * it was heard (a follow-up of OkHttp's may have made {@code response} another's), else
     * {@code response}'s own.
     */
    Outcome answered(Response response) {
        int status = answeredStatus;
        return Outcome.response(status > 0 ? status : response.code());
    }

    /** The pod that answered the attempt, else the one its connection went to, else {@code null}. */
    InetSocketAddress answeredOrConnected() {
        InetSocketAddress answered = answeredBy;
        return answered != null ? answered : connectedTo();
    }

    /** Whether a redirect or an auth follow-up took the attempt to a host other than the balanced one. */
    boolean leftHost() {
        return leftHost;
    }

    /**
     * Whether the attempt took from the pool an HTTP/1 connection the pod had closed while it sat
     * idle ({@link StaleConnections}), and closed it before any byte of the request left.
     */
    boolean staleConnectionFound() {
        return staleFound;
    }

    /** Whether any byte of a response reached the attempt. */
    boolean responseStarted() {
        return responseStarted;
    }

    @Override
    public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
        connecting = true;
    }

    @Override
    public void connectionAcquired(Call call, Connection connection) {
        held = connection;
        if (!connecting && balanced.connections().stale().checkStale(connection)) {
            staleFound = true;
        }
    }

    @Override
    public void responseHeadersStart(Call call) {
        responseStarted = true;
    }

    @Override
    public void connectionReleased(Call call, Connection connection) {
        if (held == connection) {
            held = null;
        }
        PodConnections connections = balanced.connections();
        connections.stale().released(connection);
        connections.released(balanced.name(), PodConnections.remote(connection));
    }

    @Override
    public void requestHeadersStart(Call call) {
        requestStarted = true;
    }

    @Override
    public void responseHeadersEnd(Call call, Response response) {
        Connection connection = held;
        if (connection != null && response.request().url().host().equals(request.url().host())) {
            answeredBy = PodConnections.remote(connection);
            answeredStatus = response.code();
        }
    }

    @Override
    public void followUpDecision(Call call, Response response, Request nextRequest) {
        if (nextRequest != null && !nextRequest.url().host().equals(request.url().host())) {
            leftHost = true;
        }
    }
}
