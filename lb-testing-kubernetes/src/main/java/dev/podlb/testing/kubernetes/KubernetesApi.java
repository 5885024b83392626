package dev.podlb.testing.kubernetes;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fabric8 Kubernetes mock API server (CRUD mode, HTTPS, 127.0.0.1) for every test of a test
 * JVM, emptied of EndpointSlices before each test. Started once rather than per test: stopping
 * the mock server waits for its clients' idle connections, which the JDK HTTP client of Java 17
 * cannot close, and timed out now and then (10 s and a failed test).
 */
public final class KubernetesApi {
    /** A namespace whose EndpointSlices the server refuses to anyone, as without a Role granting them (403). */
    public static final String FORBIDDEN_NAMESPACE = "forbidden";

    private static final Duration WATCH_WAIT = Duration.ofSeconds(10);
    private static final String FORBIDDEN_PATH = "/apis/discovery.k8s.io/v1/namespaces/" + FORBIDDEN_NAMESPACE
            + "/endpointslices";
    private static final AtomicInteger FORBIDDEN_ANSWERS = new AtomicInteger();
    private static KubernetesMockServer server;
    private static KubernetesClient client;

    private KubernetesApi() {}

    public static synchronized KubernetesMockServer server() {
        if (server == null) {
            server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new ForbiddingDispatcher(), true);
            try {
                server.init(InetAddress.getByName("127.0.0.1"), 0);
            } catch (UnknownHostException e) {
                throw new UncheckedIOException(e);
            }
            client = server.createClient();
        }
        return server;
    }

    /** A client of the server, in namespace {@code test}; shared, so never closed by a test. */
    public static synchronized KubernetesClient client() {
        server();
        return client;
    }

    /** How many requests the server has refused with 403 in {@link #FORBIDDEN_NAMESPACE}. */
    public static int forbiddenAnswers() {
        return FORBIDDEN_ANSWERS.get();
    }

    /** Deletes every EndpointSlice and Service, so that a test starts from an empty cluster. */
    public static void clear() {
        for (EndpointSlice slice : client().discovery().v1().endpointSlices().inAnyNamespace().list().getItems()) {
            client().discovery().v1().endpointSlices().inNamespace(slice.getMetadata().getNamespace())
                    .withName(slice.getMetadata().getName()).delete();
        }
        for (io.fabric8.kubernetes.api.model.Service service : client().services().inAnyNamespace().list().getItems()) {
            client().services().inNamespace(service.getMetadata().getNamespace()).withName(service.getMetadata().getName())
                    .delete();
        }
    }

    /**
     * Returns once {@code lb}'s EndpointSlice informer is watching. A real API server replays to a
     * watch every change made since the list it starts from; this mock server does not, so a change
     * a test makes between a load balancer's first set and the start of its watch would be missed
     * until the next freshness check. A probe slice of the service is written, and rewritten, until
     * the load balancer sees it (the watch is live), then deleted, and its removal awaited.
     *
     * @param seesAddress whether the load balancer has an endpoint at this IP address now, such as
     *                    {@code ip -> !lb.endpoints().lookup(ip).isEmpty()}
     */
    public static void awaitWatching(Predicate<String> seesAddress, String namespace, String service, String portName,
                                     int port) {
        AtomicInteger writes = new AtomicInteger();
        await("a probe slice of " + service + " reaching the load balancer (its watch started)").atMost(WATCH_WAIT)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (seesAddress.test(probeAddress(writes.get()))) {
                        return true;
                    }
                    writeProbe(namespace, service, portName, port, writes.incrementAndGet());
                    return false;
                });
        client().discovery().v1().endpointSlices().inNamespace(namespace).withName(service + "-watch-probe").delete();
        await("the probe slice's removal reaching the load balancer").atMost(WATCH_WAIT)
                .pollInterval(Duration.ofMillis(10)).until(() -> !seesAddress.test(probeAddress(writes.get())));
    }

    /** Each write gives the probe's one endpoint another address, so that every write is a change to watch. */
    private static void writeProbe(String namespace, String service, String portName, int port, int write) {
        EndpointSlice slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(service + "-watch-probe").withNamespace(namespace)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName(portName).withPort(port).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses(probeAddress(write))
                .withNewConditions().withReady(true).endConditions().endEndpoint()
                .build();
        client().discovery().v1().endpointSlices().inNamespace(namespace).resource(slice).createOr(existing -> existing.update());
    }

    /** A loopback address no test pod binds (they use 127.0.0.x): a call that picks the probe is refused at once, never leaves the machine. */
    private static String probeAddress(int write) {
        return "127.255.255." + (write % 254 + 1);
    }

    /** The CRUD server, but for EndpointSlices in {@link #FORBIDDEN_NAMESPACE}, which it refuses as the API server does without RBAC. */
    private static final class ForbiddingDispatcher extends KubernetesCrudDispatcher {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (request.getPath() == null || !request.getPath().startsWith(FORBIDDEN_PATH)) {
                return super.dispatch(request);
            }
            FORBIDDEN_ANSWERS.incrementAndGet();
            return new MockResponse().setResponseCode(403).setHeader("Content-Type", "application/json").setBody("{"
                    + "\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                    + "\"message\":\"endpointslices.discovery.k8s.io is forbidden: User \\\"system:serviceaccount:test:app\\\""
                    + " cannot list resource \\\"endpointslices\\\" in API group \\\"discovery.k8s.io\\\" in the namespace"
                    + " \\\"" + FORBIDDEN_NAMESPACE + "\\\"\",\"reason\":\"Forbidden\","
                    + "\"details\":{\"group\":\"discovery.k8s.io\",\"kind\":\"endpointslices\"},\"code\":403}");
        }
    }
}
