package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * Requests to podlb's hosts go through podlb; requests to every other host go to the client
 * Spring Boot chose, with {@code spring.http.clients.*} as set.
 */
@Timeout(60)
class PodlbRestClientTest {
    private LoopbackPods pods;
    private LoopbackPods other;
    /** The hosts podlb's OkHttp client was asked to reach. */
    private final Set<String> podlbHosts = ConcurrentHashMap.newKeySet();
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws Exception {
        pods = new LoopbackPods().start("127.0.0.2", "127.0.0.3");
        other = new LoopbackPods().start("127.0.0.5", 2000);
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(HttpClientAutoConfiguration.class,
                        ImperativeHttpClientAutoConfiguration.class, RestClientAutoConfiguration.class,
                        RestTemplateAutoConfiguration.class, PodlbAutoConfiguration.class, PodlbOkHttpAutoConfiguration.class,
                        PodlbRestClientAutoConfiguration.class))
                .withBean(PodlbOkHttpClientCustomizer.class, () -> builder -> builder.addNetworkInterceptor(chain -> {
                    podlbHosts.add(chain.request().url().host());
                    return chain.proceed(chain.request());
                }))
                .withPropertyValues("podlb.services.backend.target=" + pods.staticTarget(),
                        "spring.http.clients.read-timeout=300ms");
    }

    @AfterEach
    void stop() {
        pods.close();
        other.close();
    }

    private String backend() {
        return "http://backend:" + pods.port() + "/";
    }

    @Test
    void aBalancedHostReachesThePodsAndAnotherHostKeepsBootsClientAndReadTimeout() {
        runner.run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            Set<String> answers = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                answers.add(client.get().uri(backend()).retrieve().body(String.class));
            }
            assertThat(answers).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3");

            // Boot's client for this class path is the JDK's: its timeout, not OkHttp's, ends the call.
            assertThatThrownBy(() -> client.get().uri("http://127.0.0.5:" + other.port() + "/slow").retrieve()
                    .body(String.class)).isInstanceOf(ResourceAccessException.class).hasRootCauseInstanceOf(HttpTimeoutException.class);
            // The pod's server records the request on its own thread, which a loaded machine may run after the timeout.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(other.requests("127.0.0.5")).isEqualTo(1));
            assertThat(podlbHosts).containsExactly("backend");
        });
    }

    @Test
    void otherHostsGetTheFactoryBootWouldHaveBuilt() {
        runner.run(context -> {
            BalancedHostsRequestFactory factory = (BalancedHostsRequestFactory) context
                    .getBean(org.springframework.http.client.ClientHttpRequestFactory.class);
            assertThat(factory.others()).isInstanceOf(JdkClientHttpRequestFactory.class);
            assertThat(factory.isBalanced(java.net.URI.create("http://BACKEND:80/x"))).isTrue();
            assertThat(factory.isBalanced(java.net.URI.create("http://backend.example.com/x"))).isFalse();
        });
    }

    @Test
    void balancedCallsHonourBootsReadTimeoutToo() throws Exception {
        try (LoopbackPods mixed = new LoopbackPods().start("127.0.0.6", 2000).start("127.0.0.7", 0)) {
            runner.withPropertyValues("podlb.services.backend.target=" + mixed.staticTarget()).run(context -> {
                RestClient client = context.getBean(RestClient.Builder.class).build();
                Set<String> answers = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    answers.add(client.get().uri("http://backend:" + mixed.port() + "/").retrieve().body(String.class));
                }
                // The slow pod was asked and timed out after 300 ms (OkHttp's own read timeout is 10 s):
                // each of its attempts was retried on the other pod.
                assertThat(mixed.requests("127.0.0.6")).isPositive();
                assertThat(answers).containsExactly("127.0.0.7");
            });
        }
    }

    @Test
    void restTemplatesAreBalancedToo() {
        runner.run(context -> {
            String answer = context.getBean(RestTemplateBuilder.class).build().getForObject(backend(), String.class);
            assertThat(answer).isIn("127.0.0.2", "127.0.0.3");
            assertThat(podlbHosts).containsExactly("backend");
        });
    }
}
