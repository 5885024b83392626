package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.internal.Futures;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one Service object for its {@code spec.trafficDistribution}, with an informer scoped to
 * the Service's name, as the EndpointSlices are watched. The EndpointSlice hints are what podlb
 * routes by (as kube-proxy does); the Service's setting says why they are there, for operators.
 * A client whose Role does not allow reading Services still follows the hints: the denial is
 * logged once and the watch stops.
 *
 * <p>Threads: events arrive on fabric8's informer thread; {@code changed} runs there.
 */
final class ServiceWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);

    private final String description;
    private final SharedIndexInformer<Service> informer;
    private volatile String trafficDistribution;

    /** Starts watching; {@code changed} runs whenever the Service's traffic distribution changes. */
    ServiceWatch(KubernetesClient client, String namespace, String service, String description, Runnable changed) {
        this.description = description;
        this.informer = client.services().inNamespace(namespace).withField("metadata.name", service).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Service added) {
                update(added, changed);
            }

            @Override
            public void onUpdate(Service before, Service after) {
                update(after, changed);
            }

            @Override
            public void onDelete(Service deleted, boolean finalStateUnknown) {
                update(null, changed);
            }
        });
        informer.exceptionHandler((isStarted, error) -> !denied(error));
        informer.start().whenComplete((unused, error) -> {
            if (error != null && !denied(error)) {
                log.debug("{}: watching the Service failed", description, error);
            }
        });
    }

    /** The Service's {@code spec.trafficDistribution}, or {@code null} when unset or not known. */
    String trafficDistribution() {
        return trafficDistribution;
    }

    private void update(Service service, Runnable changed) {
        String now = service == null || service.getSpec() == null ? null : service.getSpec().getTrafficDistribution();
        if (!java.util.Objects.equals(now, trafficDistribution)) {
            trafficDistribution = now;
            changed.run();
        }
    }

    /** A 403 or 401 is an answer: stop asking, say so once, go on with the hints alone. */
    private boolean denied(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof KubernetesClientException
                && List.of(401, 403).contains(((KubernetesClientException) cause).getCode())) {
            log.warn("{}: reading the Service was denied ({}); EndpointSlice hints are still followed, but its"
                    + " trafficDistribution is not shown. Expected a Role granting get, list and watch on services",
                    description, ((KubernetesClientException) cause).getCode());
            informer.stop();
            return true;
        }
        return false;
    }

    @Override
    public void close() {
        informer.stop();
    }
}
