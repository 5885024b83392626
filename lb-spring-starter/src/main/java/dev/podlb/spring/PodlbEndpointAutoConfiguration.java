package dev.podlb.spring;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The {@code podlb} Actuator endpoint, when exposed ({@code management.endpoints.web.exposure.include=podlb}). */
@AutoConfiguration(after = PodlbAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(PodlbServices.class)
@ConditionalOnAvailableEndpoint(PodlbEndpoint.class)
public class PodlbEndpointAutoConfiguration {
    @Bean
    @ConditionalOnMissingBean
    PodlbEndpoint podlbEndpoint(PodlbServices services) {
        return new PodlbEndpoint(services);
    }
}
