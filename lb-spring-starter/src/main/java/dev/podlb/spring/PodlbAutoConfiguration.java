package dev.podlb.spring;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.DnsSettings;
import dev.podlb.okhttp.CallListener;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ResourceLoader;

/**
 * podlb's core: the {@link Discovery} that resolves targets (with {@code podlb.dns.*}), and
 * {@link PodlbServices} — a load balancer per service of {@code podlb.services}, and the
 * interceptor that applies them.
 */
@AutoConfiguration(after = PodlbKubernetesAutoConfiguration.class)
@EnableConfigurationProperties(PodlbProperties.class)
public class PodlbAutoConfiguration {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    Discovery podlbDiscovery(PodlbProperties properties,
                             ObjectProvider<PodlbKubernetesAutoConfiguration.KubernetesResolvers> kubernetes) {
        Discovery.Builder builder = Discovery.builder();
        if (properties.getDns().isSet()) {
            builder.dns(dnsSettings(properties.getDns()));
        }
        PodlbKubernetesAutoConfiguration.KubernetesResolvers resolvers = kubernetes.getIfAvailable();
        if (resolvers != null && resolvers.factory() != null) {
            builder.kubernetes(resolvers.factory());
        }
        return builder.build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    PodlbServices podlbServices(PodlbProperties properties, Discovery discovery, ObjectProvider<CallListener> listeners,
                                ResourceLoader resourceLoader) {
        return new PodlbServices(properties, discovery, listeners.orderedStream().collect(Collectors.toList()),
                resourceLoader.getClassLoader());
    }

    /** resolv.conf's settings with those of {@code podlb.dns} that are set. */
    static DnsSettings dnsSettings(PodlbProperties.Dns dns) {
        PodlbProperties.Refresh refresh = dns.getRefresh();
        StringJoiner given = new StringJoiner(", ");
        named(given, "ip-family", dns.getIpFamily());
        named(given, "query-timeout", dns.getQueryTimeout());
        named(given, "refresh.min", refresh.getMin());
        named(given, "refresh.max", refresh.getMax());
        named(given, "max-staleness", dns.getMaxStaleness());
        try {
            DnsSettings.Builder builder = DnsSettings.builder();
            if (dns.getIpFamily() != null) {
                builder.ipFamily(dns.getIpFamily());
            }
            if (dns.getQueryTimeout() != null) {
                builder.queryTimeout(dns.getQueryTimeout());
            }
            if (dns.getMaxStaleness() != null) {
                builder.maxStaleness(dns.getMaxStaleness());
            }
            if (refresh.getMin() != null || refresh.getMax() != null) {
                // The builder sets both ends at once: an end not given keeps lb-core's default.
                DnsSettings defaults = DnsSettings.system();
                builder.refresh(refresh.getMin() != null ? refresh.getMin() : defaults.minRefresh(),
                        refresh.getMax() != null ? refresh.getMax() : defaults.maxRefresh());
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new PodlbConfigurationException("podlb.dns", given.toString(), e.getMessage(), e);
        }
    }

    private static void named(StringJoiner given, String name, Object value) {
        if (value != null) {
            given.add(name + "=" + value);
        }
    }
}
