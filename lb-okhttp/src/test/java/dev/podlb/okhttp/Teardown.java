package dev.podlb.okhttp;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.testing.LocalPods;
import okhttp3.OkHttpClient;

/** Stops what a load test started, callers first, so that no call is still going when its pods stop. */
final class Teardown {
    private Teardown() {}

    /** Each argument may be {@code null}: whatever the test did not get to start. */
    static void stop(LoadBalancingInterceptor interceptor, OkHttpClient http, Discovery discovery, LocalPods pods) {
        if (interceptor != null) {
            interceptor.close();
        }
        if (http != null) {
            http.dispatcher().executorService().shutdown();
        }
        if (discovery != null) {
            discovery.close();
        }
        if (pods != null) {
            pods.close();
        }
    }
}
