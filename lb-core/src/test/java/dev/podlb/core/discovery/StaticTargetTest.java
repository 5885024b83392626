package dev.podlb.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.EndpointSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaticTargetTest {
    private static List<String> authorities(StaticResolver resolver) {
        return resolver.current().endpoints().stream().map(Endpoint::authority).toList();
    }

    @Test
    void anApplicationCanRegisterADiscoveryScheme() {
        try (Discovery discovery = Discovery.builder()
                .scheme("inventory", target -> StaticResolver.of(Endpoint.of("10.9.0." + target.path(), 8080))).build();
             LoadBalancer lb = LoadBalancer.builder("backend").target("inventory:///7").discovery(discovery).build()) {
            assertThat(lb.pick().authority()).isEqualTo("10.9.0.7:8080");
        }
        assertThatThrownBy(() -> Discovery.builder().scheme("dns", target -> null))
                .hasMessage("discovery scheme dns is podlb's own; expected another name, or .dns(...) / .kubernetes(...)"
                        + " to configure it");
    }

    @Test
    void aStaticTargetListsIpv4AndBracketedIpv6Addresses() {
        StaticResolver resolver = StaticResolver.forTarget("static:///10.0.0.2:8080, [fd00::1]:9090,10.0.0.1:8080");
        assertThat(authorities(resolver)).containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "[fd00::1]:9090");
    }

    @Test
    void malformedTargetsAreRefusedSayingWhatWasExpected() {
        assertThatThrownBy(() -> Target.parse("backend:8080"))
                .hasMessage("target \"backend:8080\" has unknown scheme \"backend\"; expected one of static, dns, k8s"
                        + " (or one registered with Discovery.Builder.scheme)");
        assertThatThrownBy(() -> LoadBalancer.builder("backend").target("http:///x").build())
                .hasMessage("load balancer for service backend: target \"http:///x\" has unknown scheme \"http\"; expected"
                        + " one of dns, k8s, static (Discovery.Builder.scheme(...) registers others)");
        assertThatThrownBy(() -> Target.parse("1x:///y")).hasMessageContaining("which is not a scheme name");
        assertThatThrownBy(() -> Target.parse("10.0.0.1"))
                .hasMessageStartingWith("target \"10.0.0.1\" has no scheme; expected one of static, dns, k8s");
        assertThatThrownBy(() -> Target.parse("dns://backend:8080"))
                .hasMessage("target \"dns://backend:8080\" does not start with dns:///; expected "
                        + "dns:///backend.default.svc.cluster.local:8080 (three slashes: the authority is empty)");
        assertThatThrownBy(() -> Target.parse("static:///"))
                .hasMessage("target \"static:///\" names nothing after static:///; expected static:///10.0.0.1:8080,10.0.0.2:8080");
        assertThatThrownBy(() -> Target.parse(""))
                .hasMessageStartingWith("target is blank; expected scheme:///...");
    }

    @Test
    void badStaticAddressesAreRefusedNamingTheAddress() {
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///10.0.0.1"))
                .hasMessageStartingWith("target \"static:///10.0.0.1\": address \"10.0.0.1\" has no port; expected static:///<ip>:<port>");
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///10.0.0.1:http"))
                .hasMessageStartingWith("target \"static:///10.0.0.1:http\": port \"http\" of \"10.0.0.1:http\" is not a number");
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///10.0.0.1:0"))
                .hasMessage("target \"static:///10.0.0.1:0\": endpoint port 0 is out of range; expected 1 to 65535");
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///backend:8080"))
                .hasMessageStartingWith("target \"static:///backend:8080\": endpoint address \"backend\" is not an IP address");
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///fd00::1:8080"))
                .hasMessageStartingWith("target \"static:///fd00::1:8080\": IPv6 address \"fd00::1:8080\" is not in brackets");
        assertThatThrownBy(() -> StaticResolver.forTarget("static:///10.0.0.1:80,,10.0.0.2:80"))
                .hasMessageStartingWith("target \"static:///10.0.0.1:80,,10.0.0.2:80\" has an empty address in its list");
        assertThatThrownBy(() -> StaticResolver.forTarget("dns:///backend:80"))
                .hasMessage("target \"dns:///backend:80\" is not a static target; expected static:///10.0.0.1:8080,10.0.0.2:8080");
    }

    @Test
    void subscribersGetTheCurrentSetAtOnceThenEveryChangeInOrder() {
        StaticResolver resolver = StaticResolver.of(Endpoint.of("10.0.0.1", 80));
        List<EndpointSet> seen = new ArrayList<>();
        Resolver.Subscription subscription = resolver.subscribe(seen::add);
        resolver.update(List.of(Endpoint.of("10.0.0.1", 80)));
        resolver.update(List.of(Endpoint.of("10.0.0.2", 80)));
        subscription.close();
        resolver.update(List.of(Endpoint.of("10.0.0.3", 80)));
        assertThat(seen).extracting(EndpointSet::version).containsExactly(1L, 2L);
    }
}
