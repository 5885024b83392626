package dev.podlb.core.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.Resolver;
import dev.podlb.testing.kubernetes.KubernetesApi;
import dev.podlb.core.time.ManualScheduler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The resolver's informer and its freshness checks, against fabric8's mock API server, with
 * informers a test can hold back ({@link ControlledInformers}) and checks run on the test's thread
 * when a {@link ManualScheduler} says so.
 */
@Timeout(60)
class KubernetesWatchTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final KubernetesTarget TARGET = KubernetesTarget.parse("k8s:///backend.default:http");

    private final KubernetesClient client = KubernetesApi.client();
    private final ManualScheduler clock = new ManualScheduler();
    private final List<EndpointSet> sets = new CopyOnWriteArrayList<>();
    private KubernetesResolver resolver;

    @BeforeEach
    void clear() {
        KubernetesApi.clear();
    }

    @AfterEach
    void close() {
        if (resolver != null) {
            resolver.close();
        }
    }

    private KubernetesResolver resolver(ControlledInformers informers) {
        resolver = new KubernetesResolver(TARGET, client, Duration.ofSeconds(1), clock, Runnable::run, () -> {}, informers, false);
        resolver.subscribe(new Resolver.Listener() {
            @Override
            public void onEndpoints(EndpointSet set) {
                sets.add(set);
            }
        });
        return resolver;
    }

    private static ConditionFactory waiting() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    private EndpointSet last() {
        return sets.isEmpty() ? null : sets.get(sets.size() - 1);
    }

    private Set<String> authorities() {
        EndpointSet set = last();
        return set == null ? Set.of() : set.endpoints().stream().map(Endpoint::authority).collect(Collectors.toSet());
    }

    /** Writes slice {@code name} of service backend, one ready pod per address; returns its resourceVersion. */
    private String apply(String name, String... addresses) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "backend").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort();
        for (String address : addresses) {
            slice.addNewEndpoint().withAddresses(address)
                    .withNewTargetRef().withKind("Pod").withName("pod-" + address).withNamespace("default").endTargetRef()
                    .withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        EndpointSlice built = slice.build();
        return client.discovery().v1().endpointSlices().inNamespace("default").resource(built)
                .createOr(existing -> existing.update()).getMetadata().getResourceVersion();
    }

    @Test
    void firstSetComesWhenTheInformerSyncsBeforeItsStartReturns() {
        apply("backend-1", "10.0.0.1");

        resolver(new ControlledInformers(true));

        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080")));
    }

    @Test
    void aChangeStillOnItsWayAtOneCheckReplacesNoInformer() {
        apply("backend-1", "10.0.0.1");
        ControlledInformers informers = new ControlledInformers(false);
        resolver(informers);
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080")));

        ControlledInformers.Controlled watch = informers.made.get(0);
        watch.holdBack(); // the change is on its way when the check lists
        watch.awaitArrival("backend-1", apply("backend-1", "10.0.0.1", "10.0.0.2"));
        clock.advance(Duration.ofSeconds(1));
        watch.release(); // and arrives before the next one
        clock.advance(Duration.ofSeconds(1));

        assertThat(informers.made).hasSize(1);
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080", "10.0.0.2:8080")));
    }

    @Test
    void aWatchBehindForAWholeCheckIntervalIsReplacedAndTheSetCatchesUp() {
        apply("backend-1", "10.0.0.1");
        ControlledInformers informers = new ControlledInformers(false);
        resolver(informers);
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080")));

        ControlledInformers.Controlled watch = informers.made.get(0);
        watch.holdBack(); // the watch died: nothing more reaches the resolver
        watch.awaitArrival("backend-1", apply("backend-1", "10.0.0.1", "10.0.0.2"));
        clock.advance(Duration.ofSeconds(1));
        assertThat(informers.made).hasSize(1);
        clock.advance(Duration.ofSeconds(1));

        assertThat(informers.made).hasSize(2);
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080", "10.0.0.2:8080")));
    }

    @Test
    void oneChangedSliceIsReadAloneAndTheOthersKeepTheirEndpoints() {
        apply("backend-1", "10.0.0.1");
        apply("backend-2", "10.0.0.2");
        ControlledInformers informers = new ControlledInformers(false);
        resolver(informers);
        waiting().until(() -> authorities().size() == 2);
        Endpoint first = last().find(new InetSocketAddress("10.0.0.1", 8080));
        Endpoint second = last().find(new InetSocketAddress("10.0.0.2", 8080));

        apply("backend-2", "10.0.0.2", "10.0.0.3");
        // Both slices' ADD and the UPDATE heard: the rebuild they planned waits out its batch on the clock.
        waiting().until(() -> informers.made.get(0).delivered() == 3);
        clock.advance(KubernetesResolver.BATCH);
        waiting().until(() -> authorities().size() == 3);

        assertThat(last().find(new InetSocketAddress("10.0.0.1", 8080))).isSameAs(first);
        assertThat(last().find(new InetSocketAddress("10.0.0.2", 8080))).isNotSameAs(second).isEqualTo(second);
    }

    @Test
    void eventsCloseTogetherAreBatchedOnTheDiscoverysScheduler() {
        apply("backend-1", "10.0.0.1");
        ControlledInformers informers = new ControlledInformers(false);
        resolver(informers);
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080")));

        apply("backend-1", "10.0.0.1", "10.0.0.2");
        // The slice's ADD and its UPDATE heard, within the batch of the first set: no time passed on the clock.
        waiting().until(() -> informers.made.get(0).delivered() == 2);
        assertThat(clock.pendingTasks()).isEqualTo(2); // the freshness check, and the rebuild planned on the clock
        assertThat(authorities()).containsExactly("10.0.0.1:8080");

        clock.advance(KubernetesResolver.BATCH.minusMillis(1));
        assertThat(authorities()).containsExactly("10.0.0.1:8080");
        clock.advance(Duration.ofMillis(1));
        waiting().until(() -> authorities().equals(Set.of("10.0.0.1:8080", "10.0.0.2:8080")));
    }
}
