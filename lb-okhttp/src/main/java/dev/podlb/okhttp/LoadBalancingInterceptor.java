package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.health.Outcome;
import dev.podlb.core.pick.PickRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import okhttp3.Call;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Sends every call to a balanced service to the pod podlb picks, retries safely on another pod,
 * and charges each attempt's outcome to the pod that answered, so that failing pods are ejected.
 * Add it as an application interceptor:
 *
 * <pre>{@code
 * LoadBalancingInterceptor podlb = LoadBalancingInterceptor.builder()
 *     .service("backend.default.svc.cluster.local", "dns:///backend.default.svc.cluster.local:8080")
 *     .build();
 * OkHttpClient client = podlb.newClientBuilder().build();   // or .addInterceptor(podlb) on your own builder
 * }</pre>
 *
 * The URL keeps the service's host name: the pick is applied through the call's {@code Dns}, so
 * the Host header, TLS SNI, hostname verification, certificate pins, cookies and cache keys stay
 * those of the service. Only the service's host resolves to the pod: a redirect to another host
 * goes where the client would send it without podlb. Calls to other hosts pass through untouched.
 *
 * <p>Retries: a call that no pod processed (its connection never opened, HTTP/2 refused its
 * stream, or a GOAWAY's last stream was below it) is retried on another pod whatever its method,
 * provided its body is absent, empty or not one-shot; one that may have been processed (read
 * timeout, reset, a status of {@link BalancedService.Builder#retryOnStatus}) only when its method
 * is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and its body can be sent again. A POST a
 * pod may have processed is never sent again, and a one-shot body is never written twice. A pooled
 * HTTP/1 connection the pod closed while idle is found before the request leaves, and the request
 * goes on a fresh connection to the same pod. Every attempt reaches the pod picked for it, never
 * one the call tried while others are left, after a jittered {@link Backoff}; every attempt after
 * the first runs on a call of its own, so it never rides or retires another attempt's connection.
 * Retries stay within the service's {@link RetryBudget}, the call's timeout and its cancellation.
 * For retried calls, a response body of known length up to
 * {@link BalancedService.Builder#bufferResponsesUpTo} (64 KiB) is read before the call returns,
 * so that a pod dying in the middle of it is retried too. An attempt lasts until its response body
 * is read or closed. A service may hedge ({@link Hedging}).
 *
 * <p>{@link #intercept} runs on the thread that runs the call; the load balancers' events arrive
 * on theirs.
 */
public final class LoadBalancingInterceptor implements Interceptor, AutoCloseable {
    private final ServiceRouting routing;
    private final PodConnections connections;
    /** The application's listeners alone, for the events of calls, which the connections ignore. */
    private final CallListener calls;
    private final AttemptCalls attemptCalls = new AttemptCalls();
    private final HedgedAttempts hedged;

    private LoadBalancingInterceptor(Builder b) {
        this.connections = new PodConnections(b.idlePerPod, b.keepAlive);
        List<CallListener> listeners = new ArrayList<>(b.listeners);
        listeners.add(connections);
        CallListener everyListener = CompositeCallListener.of(listeners); // the load balancers' events reach the connections too
        this.calls = CompositeCallListener.of(b.listeners);
        this.hedged = new HedgedAttempts(attemptCalls, calls);
        Map<String, Balanced> services = new LinkedHashMap<>();
        try {
            for (BalancedService service : b.services.values()) {
                LoadBalancer lb = service.openLoadBalancer(b.discovery, everyListener);
                if (service.givenLoadBalancer != null) {
                    connections.follow(service.name, lb::endpoints);
                }
                services.put(service.host, Balanced.open(service, lb, connections));
            }
        } catch (RuntimeException e) {
            services.values().forEach(Balanced::close);
            throw e;
        }
        this.routing = new ServiceRouting(services, b.routes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The load balancer of the service whose requests use {@code host}, or {@code null}. */
    public LoadBalancer loadBalancer(String host) {
        Balanced balanced = routing.byHost(host.toLowerCase(Locale.ROOT));
        return balanced == null ? null : balanced.lb();
    }

    /** Connections open to pods now, idle or in use, over every pod's pool. */
    public int connectionCount() {
        return connections.connectionCount();
    }

    /** Connections open to pods that no call is using now. */
    public int idleConnectionCount() {
        return connections.idleConnectionCount();
    }

    /**
     * A client builder with this interceptor, whose {@link Dispatcher} lets as many asynchronous
     * calls run per host as in all (64, where OkHttp's default is 5 per host): every pod of a
     * service shares the service's host name, so OkHttp's per-host limit would hold a whole
     * service to 5 {@code enqueue}d calls in flight.
     */
    public OkHttpClient.Builder newClientBuilder() {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequestsPerHost(dispatcher.getMaxRequests());
        return new OkHttpClient.Builder().dispatcher(dispatcher).addInterceptor(this);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        AttemptCalls.Route route = attemptCalls.claim(chain.call());
        if (route != null) {
            // A later attempt of a call this interceptor balances, on a call of its own: only to its pod.
            Request outgoing = PickRequests.outgoing(route.balanced().service(), chain.request());
            return PodChain.to(chain, outgoing, route.balanced(), route.pod(), connections, route.repeatable())
                    .proceed(outgoing);
        }
        Request request = chain.request();
        Balanced balanced;
        try {
            balanced = routing.serviceFor(request);
        } catch (NoRouteException e) {
            throw CallRecord.of(request.url().host(), request, calls, System.nanoTime()).failed(CallOutcome.Kind.NO_ROUTE, e);
        }
        return balanced == null ? chain.proceed(request) : balance(chain, request, balanced);
    }

    /**
     * The call's attempts, each on a pod it has not tried while others are left, until one is
     * final. The first runs on the application's call; each later one on a call of its own
     * ({@link AttemptCalls}), so that it never rides the connection of the attempt before it.
     */
    private Response balance(Chain chain, Request request, Balanced balanced) throws IOException {
        BalancedService service = balanced.service();
        Call okCall = chain.call();
        // The call's start is read only for a listener or for the call timeout's deadline: most calls have neither.
        long startNanos = calls != CompositeCallListener.NONE || okCall.timeout().timeoutNanos() > 0 ? System.nanoTime() : 0;
        CallRecord call = CallRecord.of(service.name, request, calls, startNanos);
        PickRequest pick = PickRequests.of(service, request, chain.getCookieJar());
        Request outgoing = PickRequests.outgoing(service, request);
        AttemptPolicy policy = AttemptPolicy.of(service, request, pick);
        CallControl control = null; // most calls make one attempt and never wait: watched from the first retry on
        balanced.retries().deposit();
        if (policy.hedges(balanced) && pick.pin() == null) {
            return hedged.run(request, balanced, pick, policy, CallControl.watch(okCall, startNanos), okCall, call);
        }
        Set<InetSocketAddress> tried = Set.of(); // a set of its own from the first retry on
        IOException failure = null;
        Endpoint again = null;
        boolean resent = false;
        for (int n = 1; ; n++) {
            Endpoint pod;
            if (n > 1 && control == null) {
                control = CallControl.watch(okCall, startNanos);
            }
            if (again != null) {
                pod = again; // a stale connection's request, at once to the same pod
                again = null;
            } else {
                if (n > 1) {
                    pause(okCall, control, service.backoff, n - 1, failure, call);
                }
                pod = pick(balanced, pick, tried, failure, call);
            }
            Call attemptCall = n == 1 ? okCall : control.newAttemptCall();
            Attempt attempt = Attempt.start(balanced, request, pod, n, calls, attemptCall);
            call.attempted();
            Response response;
            boolean bodyDone = false;
            try {
                response = n == 1
                        ? PodChain.to(chain, request, balanced, pod, connections, policy.repeatable()).proceed(outgoing)
                        : attemptCalls.execute(attemptCall, new AttemptCalls.Route(balanced, pod, policy.repeatable()));
                if (policy.repeatable()) {
                    bodyDone = ShortBodies.buffer(response, service.bufferResponsesUpTo);
                }
            } catch (RuntimeException | Error e) {
                attempt.endUncharged(); // a bug, not the pod's doing: only its count in flight ends
                throw e;
            } catch (IOException thrown) {
                IOException e = PodPortSocketFactory.namingPodPort(thrown, pod, request.url().port());
                if (okCall.isCanceled() || attemptCall.isCanceled()) {
                    throw stopped(okCall, attemptCall, attempt, e, call);
                }
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                if (!resent && policy.resendsOnFreshConnection(attempt) && balanced.pickable(pod)) {
                    // The pod had closed this pooled connection while it sat idle, and it was closed here
                    // before the request left: no failure of the pod's. Its other idle connections go too.
                    attempt.endUncharged();
                    connections.closeIdle(service.name, pod);
                    resent = true;
                    again = pod;
                    failure = e;
                    continue;
                }
                if (attempt.leftHost() && attempt.answeredBy() != null) {
                    // The pod answered with a redirect; what failed was the other host.
                    attempt.end(attempt.answeredBy(), Outcome.response(attempt.answeredStatus()));
                    throw call.failed(CallOutcome.Kind.FAILED, e);
                }
                Outcome outcome = AttemptPolicy.outcomeOf(e, attempt);
                Endpoint charged = attempt.end(attempt.answeredOrConnected(), outcome);
                if (!policy.retriesFailure(e, attempt, n) || !retry(balanced, request, charged, outcome, n, call)) {
                    throw call.failed(CallOutcome.Kind.FAILED, e);
                }
                tried = triedAlso(tried, pod, charged);
                failure = e;
                continue;
            }
            Endpoint charged;
            try {
                if (response.networkResponse() == null) {
                    attempt.endUncharged(); // OkHttp's cache answered
                    return call.returned(response, true);
                }
                InetSocketAddress answeredBy = attempt.answeredBy();
                Outcome answered = attempt.answered(response);
                charged = attempt.chargedFor(answeredBy);
                if (attempt.leftHost()) {
                    attempt.end(answeredBy, answered); // the body is the other host's: the pod's part ended with its redirect
                    return call.returned(response, false);
                }
                SessionLearning.learn(service, response, charged);
                if (!policy.retriesStatus(response.code(), n)) {
                    return call.returned(AttemptBody.returned(response, attempt, answeredBy, answered, bodyDone, okCall,
                            attemptCall), false);
                }
                attempt.end(answeredBy, answered);
                if (!retry(balanced, request, charged, answered, n, call)) {
                    return call.returned(response, false);
                }
            } catch (RuntimeException | Error e) {
                // A listener's or a classifier's bug: the attempt still ends and the connection is freed.
                attempt.endUncharged();
                response.close();
                throw e;
            }
            response.close(); // frees the connection before the next attempt
            tried = triedAlso(tried, pod, charged);
        }
    }

    /** The pods a call tried, with {@code picked} and {@code charged} added: a set of the call's own. */
    private static Set<InetSocketAddress> triedAlso(Set<InetSocketAddress> tried, Endpoint picked, Endpoint charged) {
        Set<InetSocketAddress> mutable = tried instanceof HashSet<InetSocketAddress> set ? set : new HashSet<>(tried);
        mutable.add(picked.socketAddress());
        mutable.add(charged.socketAddress());
        return mutable;
    }

    /** The picker's choice, avoiding the pods this call already tried. */
    private static Endpoint pick(Balanced balanced, PickRequest pick, Set<InetSocketAddress> tried, IOException failure,
                                 CallRecord call) throws IOException {
        try {
            return balanced.lb().pickAvoiding(pick, tried);
        } catch (NoEndpointException e) {
            NoPodAvailableException none = new NoPodAvailableException(e);
            if (failure != null) {
                none.addSuppressed(failure);
            }
            throw call.failed(CallOutcome.Kind.NO_POD, none);
        }
    }

    /** Whether the service's retry budget lets the call go to another pod after {@code outcome} on {@code pod}. */
    private boolean retry(Balanced balanced, Request request, Endpoint pod, Outcome outcome, int attempt, CallRecord call) {
        if (!balanced.retries().withdraw()) {
            call.budgetExhausted();
            calls.retryBudgetExhausted(balanced.name(), request, pod, outcome);
            return false;
        }
        calls.retrying(balanced.name(), request, pod, outcome, attempt + 1);
        return true;
    }

    /**
     * Waits the service's backoff before retry {@code retry}, or less: the wait ends at once when
     * the call is cancelled or its call timeout (which cancels it) runs out, and the call then ends
     * here, charging no pod, since none has its request. The interceptor runs inside OkHttp's
     * synchronous chain, so the thread running the call (a dispatcher thread for {@code enqueue})
     * waits; it waits no longer than the backoff and the call's deadline allow.
     */
    private static void pause(Call okCall, CallControl control, Backoff backoff, int retry, IOException failure,
                              CallRecord call) throws IOException {
        try {
            control.pause(backoff.nanosBefore(retry));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while waiting to retry");
            interrupted.initCause(failure);
            throw call.failed(CallOutcome.Kind.CANCELED, interrupted);
        }
        if (okCall.isCanceled()) {
            boolean timedOut = CallTimeouts.timedOut(okCall);
            IOException stop = timedOut ? new InterruptedIOException("timeout") : new IOException("Canceled");
            stop.initCause(failure);
            throw call.failed(timedOut ? CallOutcome.Kind.TIMED_OUT : CallOutcome.Kind.CANCELED, stop);
        }
    }

    /**
     * The attempt's end when its call was cancelled: by the call timeout, it is a timeout against
     * the pod of the attempt that was running and the call fails as OkHttp fails a call that timed
     * out; by the application, no pod is charged. An attempt on a call of its own may also reach
     * the end of its share of the call timeout a moment before the application's call does.
     */
    static IOException stopped(Call okCall, Call attemptCall, Attempt attempt, IOException e, CallRecord call) {
        if (CallTimeouts.timedOut(okCall) || attemptCall != okCall && CallTimeouts.endedByTimeout(attemptCall, e)) {
            attempt.end(attempt.answeredOrConnected(), Outcome.timeout(e));
            InterruptedIOException timeout = new InterruptedIOException("timeout");
            timeout.initCause(e);
            return call.failed(CallOutcome.Kind.TIMED_OUT, timeout);
        }
        attempt.endUncharged();
        return call.failed(CallOutcome.Kind.CANCELED, e);
    }

    /** Closes the load balancers this interceptor built (those given to it stay the application's) and idle connections. */
    @Override
    public void close() {
        routing.services().forEach(Balanced::close);
        connections.closeAll();
        hedged.close();
    }

    @Override
    public String toString() {
        return "LoadBalancingInterceptor{" + routing + "}";
    }

    public static final class Builder {
        private final Map<String, BalancedService> services = new LinkedHashMap<>();
        private final Map<String, PathRoutes> routes = new LinkedHashMap<>();
        private Discovery discovery = Discovery.defaults();
        private int idlePerPod = 5;
        private Duration keepAlive = Duration.ofMinutes(5);
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
        public Builder route(PathRoutes route) {
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
         * Balanced calls keep a connection pool per pod, in place of the client's, so that idle
         * capacity follows the number of pods and a pod that leaves takes only its own connections:
         * up to {@code maxIdle} idle connections per pod, each closed after {@code keepAlive} unused.
         * Default 5 and 5 minutes, OkHttp's own defaults for a whole client.
         */
        public Builder connectionsPerPod(int maxIdle, Duration keepAlive) {
            if (maxIdle < 1) {
                throw new IllegalArgumentException("maxIdle connections per pod is " + maxIdle + "; expected 1 or more, such as 5");
            }
            Objects.requireNonNull(keepAlive, "keepAlive");
            if (keepAlive.toMillis() < 1) {
                throw new IllegalArgumentException("connection keepAlive is " + keepAlive + "; expected 1 ms or more, such as 5m");
            }
            this.idlePerPod = maxIdle;
            this.keepAlive = keepAlive;
            return this;
        }

        /** Hears picks, attempts, retries, calls' ends and load-balancer events; each listener given hears them all. */
        public Builder listener(CallListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public LoadBalancingInterceptor build() {
            if (services.isEmpty()) {
                throw new IllegalArgumentException("load-balancing interceptor has no service; expected at least one,"
                        + " such as .service(\"backend.default.svc.cluster.local\", \"dns:///backend.default.svc.cluster.local:8080\")");
            }
            for (PathRoutes route : routes.values()) {
                if (services.containsKey(route.host)) {
                    throw new IllegalArgumentException("host " + route.host + " is both a service and a route;"
                            + " expected a route host that no service uses");
                }
                for (String service : route.services()) {
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
