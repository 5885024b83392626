package dev.podlb.spring;

import dev.podlb.core.discovery.ResolverFactory;
import dev.podlb.core.discovery.kubernetes.KubernetesDiscovery;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * {@code k8s:///} targets, when fabric8 is on the class path: through the application's
 * {@link KubernetesClient} bean if it has one, else a client podlb configures from the pod's
 * service account or the kubeconfig.
 */
@AutoConfiguration
@ConditionalOnClass(KubernetesClient.class)
public class PodlbKubernetesAutoConfiguration {
    @Bean
    KubernetesResolvers podlbKubernetesResolvers(ObjectProvider<KubernetesClient> client) {
        KubernetesClient application = client.getIfUnique();
        // Without one, Discovery's own default configures a client when a k8s:/// target first needs it.
        return new KubernetesResolvers(application != null ? KubernetesDiscovery.using(application) : null);
    }

    /** How podlb's discovery resolves {@code k8s:///} targets; no factory means Discovery's default. */
    public static final class KubernetesResolvers {
        private final ResolverFactory factory;

        KubernetesResolvers(ResolverFactory factory) {
            this.factory = factory;
        }

        public ResolverFactory factory() {
            return factory;
        }
    }
}
