package dev.podlb.spring;

import okhttp3.OkHttpClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/**
 * Balances {@code RestClient} calls too: every {@code RestClient.Builder} Spring Boot hands out
 * runs on the balanced {@link OkHttpClient}, so {@code restClientBuilder.build().get().uri("http://backend/...")}
 * reaches a pod podlb picked (hosts podlb does not balance pass through untouched).
 */
@AutoConfiguration(after = PodlbOkHttpAutoConfiguration.class)
@ConditionalOnClass({RestClient.class, RestClientCustomizer.class})
@ConditionalOnBean(OkHttpClient.class)
public class PodlbRestClientAutoConfiguration {
    @Bean
    RestClientCustomizer podlbRestClientCustomizer(OkHttpClient client) {
        OkHttpClientHttpRequestFactory factory = new OkHttpClientHttpRequestFactory(client);
        return builder -> builder.requestFactory(factory);
    }
}
