package dev.podlb.core.testing;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;

/**
 * One fabric8 Kubernetes mock API server (CRUD mode, HTTPS, 127.0.0.1) for every test of a test
 * JVM, emptied of EndpointSlices before each test. Started once rather than per test: stopping
 * the mock server waits for its clients' idle connections, which the JDK HTTP client of Java 17
 * cannot close, and timed out now and then (10 s and a failed test).
 */
public final class KubernetesApi {
    private static KubernetesMockServer server;
    private static KubernetesClient client;

    private KubernetesApi() {}

    public static synchronized KubernetesMockServer server() {
        if (server == null) {
            server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(), true);
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

    /** Deletes every EndpointSlice, so that a test starts from an empty cluster. */
    public static void clear() {
        for (EndpointSlice slice : client().discovery().v1().endpointSlices().inAnyNamespace().list().getItems()) {
            client().discovery().v1().endpointSlices().inNamespace(slice.getMetadata().getNamespace())
                    .withName(slice.getMetadata().getName()).delete();
        }
    }
}
