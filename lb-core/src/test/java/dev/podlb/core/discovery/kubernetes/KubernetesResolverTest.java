package dev.podlb.core.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.NoEndpointException;
import dev.podlb.core.Readiness;
import dev.podlb.core.discovery.Discovery;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import dev.podlb.testing.TcpProxy;
import io.fabric8.kubernetes.client.ConfigBuilder;
import dev.podlb.testing.kubernetes.KubernetesApi;
import dev.podlb.core.time.ManualScheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The EndpointSlice resolver against fabric8's Kubernetes mock API server in CRUD mode. */
class KubernetesResolverTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final KubernetesMockServer server = KubernetesApi.server();
    private final KubernetesClient client = KubernetesApi.client();
    private Discovery discovery;
    private final List<LoadBalancer> balancers = new ArrayList<>();

    @BeforeEach
    void discovery() {
        KubernetesApi.clear();
        discovery = Discovery.builder().kubernetes(KubernetesDiscovery.using(client)).build();
    }

    @AfterEach
    void stop() {
        balancers.forEach(LoadBalancer::close);
        discovery.close();
    }

    private LoadBalancer balancer(String target) {
        LoadBalancer lb = LoadBalancer.builder("backend").target(target).discovery(discovery).build();
        balancers.add(lb);
        return lb;
    }

    /** Ready, and watching: changes the test makes from here on reach the load balancer through its watch. */
    private static LoadBalancer watching(LoadBalancer lb) {
        lb.awaitReady(WAIT);
        KubernetesApi.awaitWatching(ip -> !lb.endpoints().lookup(ip).isEmpty(), "default", "backend", "http", 8080);
        return lb;
    }

    private static ConditionFactory waiting() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    private static Map<String, Readiness> states(LoadBalancer lb) {
        return lb.endpoints().endpoints().stream().collect(Collectors.toMap(Endpoint::authority, Endpoint::readiness));
    }

    /**
     * A slice of service {@code backend}; each endpoint is {@code ip/pod/ready/serving/terminating},
     * a condition given as {@code -} being absent.
     */
    private static EndpointSlice slice(String name, String addressType, String portName, int port, String... endpoints) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType(addressType)
                .addNewPort().withName(portName).withPort(port).withProtocol("TCP").endPort();
        for (String endpoint : endpoints) {
            String[] f = endpoint.split("/");
            slice.addNewEndpoint().withAddresses(f[0])
                    .withNewTargetRef().withKind("Pod").withName(f[1]).withNamespace("default").endTargetRef()
                    .withNodeName("node-" + f[1]).withZone("zone-a")
                    .withNewConditions().withReady(condition(f[2])).withServing(condition(f[3]))
                    .withTerminating(condition(f[4])).endConditions()
                    .endEndpoint();
        }
        return slice.build();
    }

    private static Boolean condition(String text) {
        return "-".equals(text) ? null : Boolean.valueOf(text);
    }

    private void apply(EndpointSlice slice) {
        client.discovery().v1().endpointSlices().inNamespace("default").resource(slice).createOr(existing -> existing.update());
    }

    @Test
    void topologyHintsAndTheServicesTrafficDistributionReachTheLoadBalancer() {
        EndpointSlice hinted = new EndpointSliceBuilder(slice("backend-v4", "IPv4", "http", 8080,
                "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false")).build();
        hinted.getEndpoints().get(0).setHints(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointHintsBuilder()
                .addNewForZone("zone-a").addNewForNode("node-pod-a").build());
        hinted.getEndpoints().get(1).setHints(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointHintsBuilder()
                .addNewForZone("zone-b").build());
        apply(hinted);
        client.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("backend").withNamespace("default").endMetadata()
                .withNewSpec().withTrafficDistribution("PreferSameZone").addNewPort().withName("http").withPort(80)
                .endPort().endSpec().build()).create();

        LoadBalancer lb = balancer("k8s:///backend.default:http").awaitReady(WAIT);
        waiting().until(() -> "PreferSameZone".equals(lb.status().trafficDistribution()));
        Endpoint a = lb.endpoints().lookup("10.0.0.1:8080").get(0);
        assertThat(a.zoneHints()).containsExactly("zone-a");
        assertThat(a.nodeHints()).containsExactly("node-pod-a");
        assertThat(lb.endpoints().lookup("10.0.0.2:8080").get(0).zoneHints()).containsExactly("zone-b");

        client.services().inNamespace("default").withName("backend").edit(s -> {
            s.getSpec().setTrafficDistribution(null);
            return s;
        });
        waiting().until(() -> lb.status().trafficDistribution() == null);
    }

    @Test
    void allSlicesOfTheServiceMergeIntoOneSetWithPodNodeAndZone() {
        apply(slice("backend-v4", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false"));
        apply(slice("backend-v6", "IPv6", "http", 8080, "fd00::3/pod-c/true/true/false"));
        apply(slice("other", "IPv4", "http", 8080).toBuilder().editMetadata()
                .addToLabels("kubernetes.io/service-name", "other").endMetadata().build());

        LoadBalancer lb = balancer("k8s:///backend.default:http").awaitReady(WAIT);

        assertThat(states(lb)).containsOnlyKeys("10.0.0.1:8080", "10.0.0.2:8080", "[fd00::3]:8080");
        Endpoint a = lb.endpoints().lookup("pod-a").get(0);
        assertThat(a.nodeName()).contains("node-pod-a");
        assertThat(a.zone()).contains("zone-a");
    }

    @Test
    void namedPortResolvesPerSliceAndNumberIsUsedAsIs() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));

        assertThat(states(balancer("k8s:///backend.default:http").awaitReady(WAIT))).containsOnlyKeys("10.0.0.1:8080");
        assertThat(states(balancer("k8s:///backend.default:9000").awaitReady(WAIT))).containsOnlyKeys("10.0.0.1:9000");
        assertThat(states(balancer("k8s:///backend.default:grpc").awaitReady(WAIT))).isEmpty();
    }

    @Test
    void namespaceDefaultsToTheClientsOwn() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));

        assertThat(client.getNamespace()).isEqualTo("test");
        LoadBalancer lb = balancer("k8s:///backend:http");
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofSeconds(2)))
                .hasMessageContaining("service backend in namespace test has no EndpointSlice");
    }

    @Test
    void readinessFlipsReachPicks() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false"));
        LoadBalancer lb = watching(balancer("k8s:///backend.default:http"));

        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/false/false/false", "10.0.0.2/pod-b/true/true/false"));
        waiting().until(() -> states(lb).get("10.0.0.1:8080") == Readiness.NOT_READY);
        for (int i = 0; i < 10; i++) {
            assertThat(lb.pick().authority()).isEqualTo("10.0.0.2:8080");
        }

        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false"));
        waiting().until(() -> states(lb).get("10.0.0.1:8080") == Readiness.READY);
    }

    @Test
    void servingTerminatingPodsAreUsedOnlyWhenNothingIsReady() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/false/true/true", "10.0.0.2/pod-b/true/true/false",
                "10.0.0.3/pod-c/false/false/true"));
        LoadBalancer lb = watching(balancer("k8s:///backend.default:http"));

        assertThat(states(lb)).containsEntry("10.0.0.1:8080", Readiness.TERMINATING)
                .containsEntry("10.0.0.3:8080", Readiness.NOT_READY);
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.2:8080");

        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/false/true/true", "10.0.0.3/pod-c/false/false/true"));
        waiting().until(() -> !states(lb).containsKey("10.0.0.2:8080"));
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080");
    }

    /**
     * The EndpointSlice controller writes {@code ready: true, terminating: true} for the terminating
     * pods of a Service that publishes not-ready addresses; kube-proxy reads the Ready condition
     * alone, and keeps such a pod in rotation.
     */
    @Test
    void readyPodThatIsTerminatingStaysInRotationAsKubeProxyKeepsIt() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/true", "10.0.0.2/pod-b/true/true/false"));
        LoadBalancer lb = watching(balancer("k8s:///backend.default:http"));

        assertThat(states(lb)).containsEntry("10.0.0.1:8080", Readiness.READY).containsEntry("10.0.0.2:8080", Readiness.READY);
        java.util.Set<String> picked = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            picked.add(lb.pick().authority());
        }
        assertThat(picked).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
    }

    /**
     * An absent {@code serving} is read as kube-proxy reads it, true (an absent {@code ready} too):
     * a terminating pod without it serves when nothing is ready. The EndpointSlice controller always
     * writes it; other controllers may not.
     */
    @Test
    void absentServingIsReadAsServingAsKubeProxyReadsIt() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/false/-/true", "10.0.0.2/pod-b/false/-/false",
                "10.0.0.3/pod-c/-/-/-"));
        LoadBalancer lb = watching(balancer("k8s:///backend.default:http"));

        assertThat(states(lb)).containsEntry("10.0.0.1:8080", Readiness.TERMINATING)
                .containsEntry("10.0.0.2:8080", Readiness.NOT_READY)
                .containsEntry("10.0.0.3:8080", Readiness.READY);

        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/false/-/true", "10.0.0.2/pod-b/false/-/false"));
        waiting().until(() -> !states(lb).containsKey("10.0.0.3:8080"));
        assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080"); // nothing ready: the terminating pod serves
    }

    @Test
    void deletedSliceTakesItsEndpointsAway() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));
        apply(slice("backend-2", "IPv4", "http", 8080, "10.0.0.2/pod-b/true/true/false"));
        LoadBalancer lb = watching(balancer("k8s:///backend.default:http"));
        assertThat(states(lb)).hasSize(2);

        client.discovery().v1().endpointSlices().inNamespace("default").withName("backend-2").delete();

        waiting().until(() -> states(lb).keySet().equals(java.util.Set.of("10.0.0.1:8080")));
    }

    @Test
    void endpointInTwoSlicesIsCountedOnce() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));
        apply(slice("backend-2", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false"));

        LoadBalancer lb = balancer("k8s:///backend.default:http").awaitReady(WAIT);

        assertThat(lb.endpoints().size()).isEqualTo(2);
    }

    @Test
    void slicesWithMissingFieldsOrUnknownAddressTypesAreReadWithoutFailing() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));
        apply(new EndpointSliceBuilder().withNewMetadata().withName("backend-fqdn").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("FQDN").addNewEndpoint().withAddresses("pod.example.com").endEndpoint().build());
        apply(new EndpointSliceBuilder().withNewMetadata().withName("backend-sparse").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).endPort()
                .addNewEndpoint().withAddresses("10.0.0.2").endEndpoint()          // no conditions: ready
                .addNewEndpoint().endEndpoint()                                    // no addresses
                .addNewEndpoint().withAddresses("not-an-ip").endEndpoint()
                .build());
        apply(new EndpointSliceBuilder().withNewMetadata().withName("backend-noports").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4").addNewEndpoint().withAddresses("10.0.0.3").endEndpoint().build());

        LoadBalancer lb = balancer("k8s:///backend.default:http").awaitReady(WAIT);

        assertThat(states(lb)).containsOnlyKeys("10.0.0.1:8080", "10.0.0.2:8080");
        assertThat(states(lb).get("10.0.0.2:8080")).isEqualTo(Readiness.READY);
    }

    @Test
    @Timeout(20)
    void serviceThatDoesNotExistFailsAwaitReadyAtOnceNamingIt() {
        LoadBalancer lb = balancer("k8s:///nothing.default:http");

        // The API server's answer is definite: awaitReady fails on it rather than waiting out its minute.
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMinutes(1)))
                .isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("service backend: k8s:///nothing.default:http: ")
                .hasMessageContaining("service nothing in namespace default has no EndpointSlice; expected an existing"
                        + " Service with a selector");
    }

    @Test
    @Timeout(20)
    void forbiddenEndpointSlicesFailAwaitReadyAtOnceNamingTheMissingRole() {
        int refusedBefore = KubernetesApi.forbiddenAnswers();
        LoadBalancer lb = balancer("k8s:///backend." + KubernetesApi.FORBIDDEN_NAMESPACE + ":http");

        // A 403 is an answer: awaitReady fails on it rather than waiting out its minute.
        assertThatThrownBy(() -> lb.awaitReady(Duration.ofMinutes(1)))
                .isInstanceOf(NoEndpointException.class)
                .hasMessageContaining("listing EndpointSlices in namespace forbidden was denied (403 Forbidden); expected a"
                        + " Role granting get, list and watch on endpointslices");
        assertThat(KubernetesApi.forbiddenAnswers()).isGreaterThan(refusedBefore);
    }

    @Test
    void loadBalancersOnOneTargetShareOneInformer() {
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));
        LoadBalancer first = balancer("k8s:///backend.default:http").awaitReady(WAIT);
        LoadBalancer second = watching(balancer("k8s:///backend.default:http"));

        assertThat(discovery.openResolvers()).isEqualTo(1);
        first.close();
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.9/pod-z/true/true/false"));
        waiting().until(() -> states(second).containsKey("10.0.0.9:8080"));
        second.close();
        assertThat(discovery.openResolvers()).isZero();
    }

    @Test
    void apiServerAwayKeepsTheLastGoodSetAndComesBackCorrectWithoutDuplicates() throws Exception {
        ManualScheduler clock = new ManualScheduler();
        apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false"));
        try (TcpProxy proxy = new TcpProxy(new InetSocketAddress("127.0.0.1", server.getPort()));
             KubernetesClient viaProxy = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                     .withMasterUrl("https://127.0.0.1:" + proxy.port()).withRequestTimeout(2000).withConnectionTimeout(1000)
                     .build()).build();
             Discovery throughProxy = Discovery.builder().kubernetes(KubernetesDiscovery.using(viaProxy)
                     .withFreshnessCheck(Duration.ofSeconds(1)).withScheduler(clock)).build();
             LoadBalancer lb = LoadBalancer.builder("backend").target("k8s:///backend.default:http")
                     .discovery(throughProxy).build()) {
            lb.awaitReady(WAIT);

            proxy.cut(); // the watch drops and the API server cannot be reached
            apply(slice("backend-1", "IPv4", "http", 8080, "10.0.0.1/pod-a/true/true/false", "10.0.0.2/pod-b/true/true/false"));
            apply(slice("backend-2", "IPv4", "http", 8080, "10.0.0.3/pod-c/true/true/false"));
            clock.advance(Duration.ofSeconds(1)); // a freshness check, which cannot list while the API server is away
            assertThat(states(lb)).containsOnlyKeys("10.0.0.1:8080");
            assertThat(lb.pick().authority()).isEqualTo("10.0.0.1:8080");

            proxy.restore(); // the informer lists again and watches from there
            // Recovery took 3 s in most runs and up to 31 s in some (the JDK HTTP transport keeps a dead pooled
            // connection for a while); the behaviour under test is that it comes back correct, not how fast.
            waiting().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                clock.advance(Duration.ofSeconds(1)); // the next freshness check
                return states(lb).size() == 3;
            });
            assertThat(lb.endpoints().endpoints()).extracting(Endpoint::authority)
                    .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
        }
    }
}
