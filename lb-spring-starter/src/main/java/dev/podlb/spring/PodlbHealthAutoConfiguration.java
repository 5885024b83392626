package dev.podlb.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health: a contributor {@code podlb} with one indicator per service, UP while the
 * service has a pod to pick and DOWN with the reason when it has none.
 *
 * <p>By default it does not count in the application's own health ({@code /actuator/health}):
 * when a downstream service loses its pods, every caller going DOWN — restarted or taken out of
 * rotation by its own probes and load balancers — turns one outage into many. Health groups that
 * include {@code podlb} show it ({@code management.endpoint.health.group.downstream.include=podlb}
 * gives {@code /actuator/health/downstream} and {@code /actuator/health/downstream/podlb/<service>});
 * {@code podlb.health.include-in-root=true} counts it in the root too. Boot's liveness and
 * readiness groups include only the application's own state unless configured otherwise.
 */
@AutoConfiguration(after = PodlbAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(PodlbServices.class)
@ConditionalOnEnabledHealthIndicator("podlb")
public class PodlbHealthAutoConfiguration {
    @Bean
    CompositeHealthContributor podlbHealthContributor(PodlbServices services) {
        return CompositeHealthContributor.fromMap(services.loadBalancers(), ServiceHealthIndicator::new);
    }

    @Bean
    @ConditionalOnProperty(prefix = "podlb.health", name = "include-in-root", havingValue = "false", matchIfMissing = true)
    static HealthEndpointGroupsPostProcessor podlbOutsideRootHealth() {
        return groups -> new PodlbOutsideRootHealthGroups(groups, "podlb");
    }
}
