package dev.podlb.spring;

import dev.podlb.core.LoadBalancer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health: {@code /actuator/health/podlb/<service>} is UP while the service has at least
 * one pod to pick, with pods known, ready and ejected, panic mode and the last resolution error.
 */
@AutoConfiguration(after = PodlbAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(PodlbServices.class)
@ConditionalOnEnabledHealthIndicator("podlb")
public class PodlbHealthAutoConfiguration {
    @Bean
    CompositeHealthContributor podlbHealthContributor(PodlbServices services) {
        return CompositeHealthContributor.fromMap(services.loadBalancers(), PodlbHealthAutoConfiguration::indicator);
    }

    static HealthIndicator indicator(LoadBalancer lb) {
        return () -> {
            LoadBalancer.Status status = lb.status();
            return (status.pickable() > 0 ? Health.up() : Health.down()).withDetail("target", status.resolver())
                    .withDetails(PodlbEndpoint.details(status)).build();
        };
    }
}
