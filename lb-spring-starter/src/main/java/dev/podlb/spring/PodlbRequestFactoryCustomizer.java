package dev.podlb.spring;

import java.util.Set;
import okhttp3.OkHttpClient;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;
import org.springframework.core.Ordered;

/**
 * Puts podlb in front of the request factories Spring Boot builds for {@code RestClient},
 * {@code RestTemplate}, HTTP service clients and {@code RestClientSsl}: requests to podlb's hosts
 * go through the balanced {@link OkHttpClient}, every other request to the client Boot would have
 * used, with all of {@code spring.http.clients.*}. Runs after every other customizer, so that those
 * meant for a particular builder (such as Jetty's) still find it.
 *
 * <p>An application that declares its own {@link ClientHttpRequestFactoryBuilder} bean, which Boot
 * does not customize, gets podlb by passing its builder through {@link #customize}.
 */
public final class PodlbRequestFactoryCustomizer
        implements ClientHttpRequestFactoryBuilderCustomizer<ClientHttpRequestFactoryBuilder<?>>, Ordered {
    private final OkHttpClient balanced;
    private final Set<String> balancedHosts;

    PodlbRequestFactoryCustomizer(OkHttpClient balanced, Set<String> balancedHosts) {
        this.balanced = balanced;
        this.balancedHosts = Set.copyOf(balancedHosts);
    }

    @Override
    public ClientHttpRequestFactoryBuilder<?> customize(ClientHttpRequestFactoryBuilder<?> builder) {
        if (builder instanceof BalancedHostsRequestFactoryBuilder) {
            return builder;
        }
        return new BalancedHostsRequestFactoryBuilder(builder, balanced, balancedHosts);
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
