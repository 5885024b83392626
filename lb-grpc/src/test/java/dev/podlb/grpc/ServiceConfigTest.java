package dev.podlb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.pick.LeastRequest;
import dev.podlb.core.pick.WhenPinUnavailable;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The policy's settings from a service config: {@code "loadBalancingConfig": [{"podlb": {...}}]}. */
@Timeout(30)
class ServiceConfigTest {
    private final PodlbLoadBalancerProvider provider = new PodlbLoadBalancerProvider();

    @Test
    void everyPickerAndItsSettingsAreRead() {
        PodlbPolicy policy = parse(json("""
                {"service": "backend", "picker": "least-request", "choices": 3, "latencyAware": true,
                 "latencyDecay": "5s", "failurePenalty": 4,
                 "slowStart": {"window": "30s", "aggression": 2, "minPercent": 20},
                 "pinMetadataKey": "x-pin", "whenPinUnavailable": "USE_ANY",
                 "failureStatusCodes": ["UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL"],
                 "ejection": {"consecutiveFailures": 3, "baseEjectionTime": "10s", "maxEjectionPercent": 50,
                              "panicThresholdPercent": 30,
                              "failureRate": {"percent": 50, "window": 20, "minimumCalls": 10}},
                 "topology": {"zone": "zone-a", "preferSameZone": true}}
                """));

        assertThat(policy.service()).isEqualTo("backend");
        assertThat(policy.picker()).isInstanceOfSatisfying(LeastRequest.class, lr -> {
            assertThat(lr.choices()).isEqualTo(3);
            assertThat(lr.latencyAware()).isTrue();
            assertThat(lr.latencyDecay()).isEqualTo(Duration.ofSeconds(5));
            assertThat(lr.failurePenalty()).isEqualTo(4.0);
            assertThat(lr.slowStart().window()).isEqualTo(Duration.ofSeconds(30));
        });
        assertThat(policy.pinMetadataKey().name()).isEqualTo("x-pin");
        assertThat(policy.whenPinUnavailable()).isEqualTo(WhenPinUnavailable.USE_ANY);
        assertThat(policy.failureStatusCodes()).containsExactlyInAnyOrder(Status.Code.UNAVAILABLE,
                Status.Code.RESOURCE_EXHAUSTED, Status.Code.INTERNAL);
        assertThat(policy.ejection().consecutiveFailures()).isEqualTo(3);
        assertThat(policy.ejection().maxEjectionPercent()).isEqualTo(50);
        assertThat(policy.ejection().failureRatePercent()).isEqualTo(50f);
        assertThat(policy.topology().locality().zone()).contains("zone-a");
        assertThat(parse(Map.of("picker", "sticky", "stickyMetadataKey", "X-Session-Id", "stickyLoadBound", 0.25))
                .stickyMetadataKey().name()).isEqualTo("x-session-id");
        assertThat(parse(Map.of()).picker().toString()).isEqualTo(PodlbPolicy.defaults().picker().toString());
    }

    @Test
    void recordLatencyIsReadAndOffByDefault() {
        assertThat(parse(json("{\"recordLatency\": true}")).recordLatency()).isTrue();
        assertThat(parse(json("{\"recordLatency\": false}")).recordLatency()).isFalse();
        assertThat(parse(Map.of()).recordLatency()).isFalse();
        assertThat(PodlbPolicy.defaults().recordLatency()).isFalse();
        assertRefused(Map.of("recordLatency", "yes"), "recordLatency is \"yes\"", "expected true or false");
        assertRefused(Map.of("recordLatency", 1.0), "recordLatency is 1.0", "expected true or false");
    }

    @Test
    void badSettingsAreRefusedNamingTheKeyAndWhatIsExpected() {
        assertRefused(Map.of("pickr", "sticky"), "unknown key pickr", "picker");
        assertRefused(Map.of("picker", "random"), "picker is \"random\"", "round-robin, least-request, sticky");
        assertRefused(Map.of("picker", "round-robin", "latencyAware", true), "latencyAware", "least-request");
        assertRefused(Map.of("picker", "least-request", "latencyDecay", "5s"), "latencyDecay",
                "latencyAware true");
        assertRefused(Map.of("stickyMetadataKey", "x-session"), "stickyMetadataKey", "sticky picker");
        assertRefused(Map.of("slowStart", Map.of("window", "30")), "window", "\"30s\"");
        assertRefused(Map.of("choices", "two", "picker", "least-request"), "choices is \"two\"", "a number");
        assertRefused(Map.of("failureStatusCodes", List.of("OK")), "OK", "failed calls");
        assertRefused(Map.of("failureStatusCodes", List.of("BROKEN")), "BROKEN", "UNAVAILABLE");
        assertRefused(Map.of("ejection", Map.of("consecutiveFailures", 2.5)), "consecutiveFailures", "whole number");
        assertRefused(Map.of("ejection", Map.of("maxEjectionPercent", 150.0)), "ejection", "150");
        assertRefused(Map.of("topology", Map.of("enabled", false, "zone", "a")), "enabled false", "alone");
        assertRefused(Map.of("pinMetadataKey", "x-pin-bin"), "x-pin-bin", "ASCII");
    }

    @Test
    void aChannelTakesThePolicyFromItsDefaultServiceConfigBesideARetryPolicy() throws Exception {
        PodlbGrpc.register();
        try (GrpcPods pods = new GrpcPods("127.0.0.2", "127.0.0.3")) {
            Map<String, Object> config = new HashMap<>(KubernetesChannelTest.retryPolicy());
            config.put("loadBalancingConfig", List.of(Map.of("podlb", Map.of("picker", "least-request"))));
            ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(pods.staticTarget("127.0.0.2", "127.0.0.3"))
                    .defaultServiceConfig(config).enableRetry().usePlaintext().build();
            try {
                assertThat(GrpcPods.which(channel)).isIn("127.0.0.2", "127.0.0.3");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aChannelWithABadPodlbConfigFailsToBuildWithTheReason() {
        PodlbGrpc.register();
        Map<String, Object> config = Map.of("loadBalancingConfig",
                List.of(Map.of("podlb", Map.of("picker", "least-request", "choices", 0.0))));
        assertThatThrownBy(() -> io.grpc.ManagedChannelBuilder.forTarget("podlb+static:///127.0.0.2:9")
                .defaultServiceConfig(config).usePlaintext().build())
                .hasMessageContaining("loadBalancingConfig podlb").hasMessageContaining("choices");
    }

    @Test
    void aPolicyBuiltInJavaIsRegisteredUnderItsOwnNameAndTakesNoJson() {
        PodlbPolicy policy = PodlbPolicy.builder().build();
        String name = policy.policyName();

        assertThat(name).matches("podlb_[0-9]+").isEqualTo(policy.policyName());
        assertThat(PodlbPolicy.builder().build().policyName()).isNotEqualTo(name);
        assertThat(LoadBalancerRegistry.getDefaultRegistry().getProvider(name).parseLoadBalancingPolicyConfig(Map.of())
                .getConfig()).isSameAs(policy);
        NameResolver.ConfigOrError refused = LoadBalancerRegistry.getDefaultRegistry().getProvider(name)
                .parseLoadBalancingPolicyConfig(Map.of("picker", "sticky"));
        assertThat(refused.getError().getDescription()).contains(name, "expected {}", "configured in Java");
    }

    /** JSON as gRPC reads a service config: numbers are doubles. */
    @SuppressWarnings("unchecked")
    static Map<String, ?> json(String text) {
        try {
            return (Map<String, ?>) io.grpc.internal.JsonParser.parse(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private PodlbPolicy parse(Map<String, ?> json) {
        NameResolver.ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(json);
        assertThat(parsed.getError()).isNull();
        return (PodlbPolicy) parsed.getConfig();
    }

    private void assertRefused(Map<String, ?> json, String... fragments) {
        NameResolver.ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(json);
        assertThat(parsed.getError()).as("error for %s", json).isNotNull();
        assertThat(parsed.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(parsed.getError().getDescription()).startsWith("loadBalancingConfig podlb: ").contains(fragments);
    }
}
