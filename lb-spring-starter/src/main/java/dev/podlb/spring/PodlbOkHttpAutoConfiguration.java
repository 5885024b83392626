package dev.podlb.spring;

import dev.podlb.okhttp.LoadBalancingInterceptor;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The balanced {@link OkHttpClient}: podlb's interceptor first, then the application's customizers. */
@AutoConfiguration(after = PodlbAutoConfiguration.class)
public class PodlbOkHttpAutoConfiguration implements DisposableBean {
    private OkHttpClient created;

    @Bean
    @ConditionalOnMissingBean
    LoadBalancingInterceptor podlbInterceptor(PodlbServices services) {
        return services.interceptor();
    }

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    OkHttpClient podlbOkHttpClient(LoadBalancingInterceptor interceptor,
                                   ObjectProvider<PodlbOkHttpClientCustomizer> customizers) {
        OkHttpClient.Builder builder = interceptor.newClientBuilder(); // 64 calls in flight per host, not 5
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        created = builder.build();
        return created;
    }

    /** Stops the threads and connections of the client podlb built; an application's own client stays its own. */
    @Override
    public void destroy() {
        if (created != null) {
            created.dispatcher().executorService().shutdown();
            created.connectionPool().evictAll();
        }
    }
}
