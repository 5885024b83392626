package dev.podlb.spring;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.okhttp.CallListener;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * podlb's core: the {@link Discovery} that resolves targets, and {@link PodlbServices} — a load
 * balancer per service of {@code podlb.services}, and the interceptor that applies them.
 */
@AutoConfiguration(after = PodlbKubernetesAutoConfiguration.class)
@EnableConfigurationProperties(PodlbProperties.class)
public class PodlbAutoConfiguration {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    Discovery podlbDiscovery(ObjectProvider<PodlbKubernetesAutoConfiguration.KubernetesResolvers> kubernetes) {
        Discovery.Builder builder = Discovery.builder();
        PodlbKubernetesAutoConfiguration.KubernetesResolvers resolvers = kubernetes.getIfAvailable();
        if (resolvers != null && resolvers.factory() != null) {
            builder.kubernetes(resolvers.factory());
        }
        return builder.build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    PodlbServices podlbServices(PodlbProperties properties, Discovery discovery, ObjectProvider<CallListener> listeners) {
        return new PodlbServices(properties, discovery, listeners.orderedStream().collect(Collectors.toList()));
    }
}
