package dev.podlb.spring;

import okhttp3.OkHttpClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.context.annotation.Bean;

/**
 * Balances {@code RestClient} and {@code RestTemplate} calls to podlb's hosts:
 * {@code restClientBuilder.build().get().uri("http://backend/...")} reaches a pod podlb picked,
 * while calls to every other host keep the client and the {@code spring.http.clients.*} settings
 * Spring Boot gives them.
 */
@AutoConfiguration(after = PodlbOkHttpAutoConfiguration.class)
@ConditionalOnClass(ClientHttpRequestFactoryBuilder.class)
@ConditionalOnBean({OkHttpClient.class, PodlbServices.class})
public class PodlbRestClientAutoConfiguration {
    @Bean
    PodlbRequestFactoryCustomizer podlbRequestFactoryCustomizer(OkHttpClient client, PodlbServices services) {
        return new PodlbRequestFactoryCustomizer(client, services.balancedHosts());
    }
}
