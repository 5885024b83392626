package dev.podlb.spring;

import okhttp3.OkHttpClient;

/** Changes the balanced {@link OkHttpClient} podlb builds (timeouts, interceptors, TLS…) before it is built. */
@FunctionalInterface
public interface PodlbOkHttpClientCustomizer {
    void customize(OkHttpClient.Builder builder);
}
