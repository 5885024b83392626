package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every call to a balanced service to the pod podlb picks, retries safely on another pod,
 * and reports each outcome so that failing pods are ejected. Add it as an application interceptor:
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(LoadBalancingInterceptor.builder()
 *         .service("backend.default.svc.cluster.local", "dns:///backend.default.svc.cluster.local:8080")
 *         .build())
 *     .build();
 * }</pre>
 *
 * The URL keeps the service's host name: the pick is applied through the call's {@code Dns}, so
 * the Host header, TLS SNI, hostname verification, certificate pins, cookies and cache keys stay
 * those of the service, and connections are pooled per (host, pod). Calls to other hosts pass
 * through untouched.
 *
 * <p>Retries: a call that failed before its request was sent (connection refused, connect
 * timeout, no route) is retried on another pod whatever its method; one that failed after it may
 * have been sent (read timeout, reset) only when its method is idempotent (GET, HEAD, OPTIONS, PUT,
 * DELETE) and its body can be sent again. A POST is never sent twice. For those retried calls,
 * a response body of known length up to {@link BalancedService.Builder#bufferResponsesUpTo} (64 KiB)
 * is read before the call returns, so that a pod dying in the middle of it is retried too. Retries
 * stay inside the call's timeout and stop when the call is cancelled.
 */
public final class LoadBalancingInterceptor implements Interceptor, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadBalancingInterceptor.class);
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    private final Map<String, Balanced> byHost;
    private final Map<String, Route> routes;
    private final ConnectionPool connectionPool;
    private final CallListener listener;

    private LoadBalancingInterceptor(Builder b) {
        this.connectionPool = b.connectionPool != null ? b.connectionPool : new ConnectionPool(64, 5, TimeUnit.MINUTES);
        List<CallListener> listeners = new ArrayList<>(b.listeners);
        listeners.add(new PoolTrimmer(connectionPool));
        this.listener = new CompositeCallListener(listeners);
        Map<String, Balanced> services = new LinkedHashMap<>();
        try {
            for (BalancedService service : b.services.values()) {
                LoadBalancer lb = service.openLoadBalancer(b.discovery, listener);
                services.put(service.host, new Balanced(service, lb));
            }
        } catch (RuntimeException e) {
            services.values().forEach(Balanced::close);
            throw e;
        }
        this.byHost = Map.copyOf(services);
        this.routes = Map.copyOf(b.routes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The load balancer of the service whose requests use {@code host}, or {@code null}. */
    public LoadBalancer loadBalancer(String host) {
        Balanced balanced = byHost.get(host.toLowerCase(Locale.ROOT));
        return balanced == null ? null : balanced.lb();
    }

    /** The pool balanced calls use: sized for many pods (64 idle connections by default). */
    public ConnectionPool connectionPool() {
        return connectionPool;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        Balanced balanced = byHost.get(request.url().host());
        if (balanced == null) {
            Route route = routes.get(request.url().host());
            if (route == null) {
                return chain.proceed(request);
            }
            String service = route.serviceFor(request.url().encodedPath());
            if (service == null) {
                throw new NoRouteException("no route for " + request.method() + " " + request.url().encodedPath() + ": "
                        + route + "; expected a matching path, or a default service for the route");
            }
            balanced = byHost.get(service);
        }
        BalancedService service = balanced.service();
        String pin = service.pinHeader != null ? request.header(service.pinHeader) : null;
        Request outgoing = pin != null ? request.newBuilder().removeHeader(service.pinHeader).build() : request;
        PickRequest pick = pickRequest(service, request, pin);
        boolean repeatable = IDEMPOTENT.contains(request.method()) && !isOneShot(request.body());
        int maxAttempts = pick.pin() != null ? 1 : service.maxAttempts;
        Set<InetSocketAddress> tried = new HashSet<>();
        IOException failure = null;
        for (int attempt = 1; ; attempt++) {
            Endpoint pod = choose(balanced, pick, tried, failure);
            listener.picked(service.name, request, pod, attempt);
            long start = System.nanoTime();
            Response response;
            try {
                response = toPod(chain, pod, request.url().port(), repeatable).proceed(outgoing);
                if (repeatable) {
                    bufferShortBody(response, service.bufferResponsesUpTo);
                }
            } catch (IOException e) {
                if (chain.call().isCanceled()) {
                    throw e; // cancelled or out of time: neither the pod's fault nor worth another try
                }
                boolean notSent = wasNotSent(e);
                Outcome outcome = notSent ? Outcome.connectFailure(e)
                        : e instanceof SocketTimeoutException ? Outcome.timeout(e) : Outcome.ioFailure(e);
                report(balanced, request, pod, outcome, start);
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                if (attempt >= maxAttempts || !(notSent || repeatable)) {
                    throw e;
                }
                listener.retrying(service.name, request, pod, outcome, attempt + 1);
                tried.add(pod.socketAddress());
                failure = e;
                continue;
            }
            Outcome outcome = Outcome.response(response.code());
            report(balanced, request, pod, outcome, start);
            learnSession(service, response, pod);
            if (service.retryStatuses.contains(response.code()) && repeatable && attempt < maxAttempts) {
                response.close(); // frees the connection before the next attempt
                listener.retrying(service.name, request, pod, outcome, attempt + 1);
                tried.add(pod.socketAddress());
                continue;
            }
            return response;
        }
    }

    /**
     * The chain with the call's host resolved to the pod, and its port mapped when the pod's
     * differs. A request that must not be sent twice also turns off OkHttp's own retry, which would
     * otherwise send a POST again on a fresh connection when a pooled one dies after sending it.
     */
    private Chain toPod(Chain chain, Endpoint pod, int urlPort, boolean repeatable) {
        Chain routed = chain.withDns(new PodDns(pod.address(), pod.port())).withConnectionPool(connectionPool);
        if (!repeatable) {
            routed = routed.withRetryOnConnectionFailure(false);
        }
        return pod.port() == urlPort ? routed : routed.withSocketFactory(new PodPortSocketFactory(pod.port()));
    }

    private static PickRequest pickRequest(BalancedService service, Request request, String pin) {
        PickRequest tagged = request.tag(PickRequest.class);
        if (tagged != null) {
            return tagged;
        }
        if (pin != null) {
            return PickRequest.pinned(pin);
        }
        String key = service.stickyKey != null ? service.stickyKey.keyOf(request) : null;
        return key != null ? PickRequest.sticky(key) : PickRequest.none();
    }

    /** The picker's choice, avoiding on a retry the pods this call already failed on. */
    private static Endpoint choose(Balanced balanced, PickRequest pick, Set<InetSocketAddress> tried, IOException failure)
            throws IOException {
        try {
            return balanced.lb().pickAvoiding(pick, tried);
        } catch (NoEndpointException e) {
            NoPodAvailableException none = new NoPodAvailableException(e);
            if (failure != null) {
                none.addSuppressed(failure);
            }
            throw none;
        }
    }

    private void report(Balanced balanced, Request request, Endpoint pod, Outcome outcome, long start) {
        balanced.lb().report(pod, outcome);
        listener.outcome(balanced.service().name, request, pod, outcome, System.nanoTime() - start);
    }

    private static void learnSession(BalancedService service, Response response, Endpoint pod) {
        if (service.affinity != null) {
            String session = Cookies.setBy(response, service.learnCookie);
            if (session != null && !session.isEmpty()) {
                service.affinity.bind(session, pod);
            }
        }
    }

    /**
     * Reads a body of known length up to {@code limit} into the response's own buffer, so that a
     * connection cut in the middle of it fails here, where the call can still be retried, and not
     * in the caller's hands. The caller reads the same bytes, without a copy.
     */
    private static void bufferShortBody(Response response, long limit) throws IOException {
        ResponseBody body = response.body();
        long length = body.contentLength();
        if (length > 0 && length <= limit) {
            try {
                body.source().request(length);
            } catch (IOException e) {
                response.close();
                throw e;
            }
        }
    }

    private static boolean isOneShot(RequestBody body) {
        return body != null && body.isOneShot();
    }

    /** Failures that happen before a byte of the request leaves: the connection never opened. */
    private static boolean wasNotSent(IOException e) {
        if (e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof PortUnreachableException) {
            return true;
        }
        String message = e.getMessage();
        return e instanceof SocketTimeoutException && message != null
                && message.toLowerCase(Locale.ROOT).contains("connect");
    }

    /** Closes the load balancers this interceptor built; those given to it stay the application's. */
    @Override
    public void close() {
        byHost.values().forEach(Balanced::close);
        connectionPool.evictAll();
    }

    @Override
    public String toString() {
        return "LoadBalancingInterceptor{" + byHost.keySet() + "}";
    }

    private record Balanced(BalancedService service, LoadBalancer lb) {
        /** Closes the load balancer when the interceptor built it; one the application gave stays open. */
        void close() {
            if (service.givenLoadBalancer == null) {
                lb.close();
            }
        }
    }

    /** Closes idle pooled connections when a pod leaves, rather than leaving them to time out. */
    private static final class PoolTrimmer implements CallListener {
        private final ConnectionPool pool;
        private final Map<String, EndpointSet> last = new ConcurrentHashMap<>();

        PoolTrimmer(ConnectionPool pool) {
            this.pool = pool;
        }

        @Override
        public void endpointsChanged(String service, EndpointSet set) {
            EndpointSet before = last.put(service, set);
            if (before == null) {
                return;
            }
            for (Endpoint e : before.endpoints()) {
                if (set.find(e.socketAddress()) == null) {
                    // OkHttp has no per-address eviction: idle connections to pods that stay are reopened on demand.
                    pool.evictAll();
                    log.debug("{}: {} left; idle pooled connections closed", service, e);
                    return;
                }
            }
        }
    }

    public static final class Builder {
        private final Map<String, BalancedService> services = new LinkedHashMap<>();
        private final Map<String, Route> routes = new LinkedHashMap<>();
        private Discovery discovery = Discovery.defaults();
        private ConnectionPool connectionPool;
        private final List<CallListener> listeners = new ArrayList<>();

        private Builder() {}

        /** Balances requests to {@code host} over the pods of {@code target}, round-robin. */
        public Builder service(String host, String target) {
            return service(BalancedService.builder(host).target(target).build());
        }

        /** Balances a service configured in full. */
        public Builder service(BalancedService service) {
            Objects.requireNonNull(service, "service");
            if (services.putIfAbsent(service.host, service) != null) {
                throw new IllegalArgumentException("host " + service.host + " is balanced twice; expected one service per host");
            }
            return this;
        }

        /** Path rules for a logical host, sending each path to one of the services. */
        public Builder route(Route route) {
            Objects.requireNonNull(route, "route");
            if (routes.putIfAbsent(route.host, route) != null) {
                throw new IllegalArgumentException("route host " + route.host + " is given twice; expected one route per host");
            }
            return this;
        }

        /** Resolves the services' targets. Default: {@link Discovery#defaults()}. */
        public Builder discovery(Discovery discovery) {
            this.discovery = Objects.requireNonNull(discovery, "discovery");
            return this;
        }

        /**
         * The pool balanced calls use, instead of the client's: OkHttp's default keeps 5 idle
         * connections, which churns with more pods than that. Default: 64 idle, 5 minutes.
         */
        public Builder connectionPool(ConnectionPool connectionPool) {
            this.connectionPool = Objects.requireNonNull(connectionPool, "connection pool");
            return this;
        }

        /** Hears picks, outcomes, retries and load-balancer events; each listener given hears them all. */
        public Builder listener(CallListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public LoadBalancingInterceptor build() {
            if (services.isEmpty()) {
                throw new IllegalArgumentException("load-balancing interceptor has no service; expected at least one,"
                        + " such as .service(\"backend.default.svc.cluster.local\", \"dns:///backend.default.svc.cluster.local:8080\")");
            }
            for (Route route : routes.values()) {
                if (services.containsKey(route.host)) {
                    throw new IllegalArgumentException("host " + route.host + " is both a service and a route;"
                            + " expected a route host that no service uses");
                }
                List<String> named = new ArrayList<>();
                route.rules.forEach(rule -> named.add(rule.service));
                if (route.defaultService != null) {
                    named.add(route.defaultService);
                }
                for (String service : named) {
                    if (!services.containsKey(service)) {
                        throw new IllegalArgumentException("route " + route.host + " sends requests to " + service
                                + ", which is not a balanced service; expected one of " + services.keySet());
                    }
                }
            }
            return new LoadBalancingInterceptor(this);
        }
    }
}
