package dev.podlb.okhttp;

import dev.podlb.testing.LocalPods;
import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import dev.podlb.testing.kubernetes.KubernetesApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The interceptor fed by EndpointSlices on fabric8's mock API server; the Service's port 80 maps to the pods'. */
class KubernetesInterceptorTest {
    private static final String HOST = "backend.default.svc.cluster.local";

    private final KubernetesClient client = KubernetesApi.client();
    private LocalPods pods;
    private Discovery discovery;
    private LoadBalancingInterceptor interceptor;

    @AfterEach
    void stop() {
        if (interceptor != null) {
            interceptor.close();
        }
        if (discovery != null) {
            discovery.close();
        }
        if (pods != null) {
            pods.close();
        }
    }

    @Test
    void callsToTheServicesPortReachEveryReadyPodOnItsOwnPort() throws Exception {
        KubernetesApi.clear();
        pods = new LocalPods("127.0.0.2", "127.0.0.3", "127.0.0.4");
        int podPort = pods.port();
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName("backend-abc").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(podPort).withProtocol("TCP").endPort();
        for (String ip : new String[] {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
            slice.addNewEndpoint().withAddresses(ip).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice.build()).create();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
        interceptor = LoadBalancingInterceptor.builder().discovery(discovery)
                .service(HOST, "k8s:///backend.default:http").build();
        interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient http = new OkHttpClient.Builder().addInterceptor(interceptor).build();

        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            try (Response response = http.newCall(new Request.Builder().url("http://" + HOST + "/").build()).execute()) {
                answers.merge(response.body().string(), 1, Integer::sum);
            }
        }

        assertThat(answers).containsOnlyKeys("127.0.0.2", "127.0.0.3", "127.0.0.4");
        assertThat(answers.values()).containsOnly(10);
    }
}
