package dev.podlb.spring;

import java.util.Set;
import okhttp3.OkHttpClient;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * Spring Boot's request factory builder with podlb in front: every factory it builds sends
 * requests to podlb's hosts through the balanced {@link OkHttpClient}, and the others to the
 * factory Boot's builder makes from the same {@link HttpClientSettings} (timeouts, redirects, SSL
 * bundle, cookie handling, address filter). Boot's connect and read timeouts and its redirect
 * choice, when set, apply to the balanced calls too; SSL bundles, cookie handling and address
 * filters do not: balanced calls use the OkHttp client's own.
 */
final class BalancedHostsRequestFactoryBuilder implements ClientHttpRequestFactoryBuilder<ClientHttpRequestFactory> {
    private final ClientHttpRequestFactoryBuilder<?> others;
    private final OkHttpClient balanced;
    private final Set<String> balancedHosts;

    BalancedHostsRequestFactoryBuilder(ClientHttpRequestFactoryBuilder<?> others, OkHttpClient balanced, Set<String> balancedHosts) {
        this.others = others;
        this.balanced = balanced;
        this.balancedHosts = Set.copyOf(balancedHosts);
    }

    @Override
    public ClientHttpRequestFactory build(HttpClientSettings settings) {
        HttpClientSettings given = settings != null ? settings : HttpClientSettings.defaults();
        return new BalancedHostsRequestFactory(balancedHosts, new OkHttpClientHttpRequestFactory(withSettings(balanced, given)),
                others.build(settings));
    }

    /** {@code client} with the timeouts and redirect choice {@code settings} set; itself when they set none. */
    static OkHttpClient withSettings(OkHttpClient client, HttpClientSettings settings) {
        HttpRedirects redirects = settings.redirects();
        boolean follow = redirects == HttpRedirects.FOLLOW;
        boolean dontFollow = redirects == HttpRedirects.DONT_FOLLOW;
        if (settings.connectTimeout() == null && settings.readTimeout() == null && !follow && !dontFollow) {
            return client;
        }
        // Shares the client's dispatcher, connection pools and interceptors: only these settings differ.
        OkHttpClient.Builder builder = client.newBuilder();
        if (settings.connectTimeout() != null) {
            builder.connectTimeout(settings.connectTimeout());
        }
        if (settings.readTimeout() != null) {
            builder.readTimeout(settings.readTimeout());
        }
        if (follow || dontFollow) {
            builder.followRedirects(follow).followSslRedirects(follow);
        }
        return builder.build();
    }

    @Override
    public String toString() {
        return "BalancedHostsRequestFactoryBuilder{" + balancedHosts + " through podlb, other hosts through " + others + "}";
    }
}
