package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PathRoutesTest {
    private final PathRoutes.Builder rules = PathRoutes.builder("myapp")
            .prefix("/api", "backend")
            .prefix("/api/v2/", "backend-v2")
            .exact("/api/status", "status")
            .prefix("/ui", "frontend");
    private final PathRoutes route = rules.build();

    @Test
    void prefixMatchesWholePathElements() {
        assertThat(route.serviceFor("/api")).isEqualTo("backend");
        assertThat(route.serviceFor("/api/")).isEqualTo("backend");
        assertThat(route.serviceFor("/api/v1/users")).isEqualTo("backend");
        assertThat(route.serviceFor("/apix")).isNull();
    }

    @Test
    void longestMatchWinsAndExactBeatsPrefixOfTheSameLength() {
        assertThat(route.serviceFor("/api/v2")).isEqualTo("backend-v2");
        assertThat(route.serviceFor("/api/v2/orders")).isEqualTo("backend-v2");
        assertThat(route.serviceFor("/api/status")).isEqualTo("status");
        assertThat(route.serviceFor("/api/status/more")).isEqualTo("backend");
    }

    @Test
    void unmatchedPathsGoToTheDefaultService() {
        assertThat(route.serviceFor("/other")).isNull();
        assertThat(rules.defaultService("frontend").build().serviceFor("/other")).isEqualTo("frontend");
        assertThat(route.serviceFor("/other")).as("a built route does not change").isNull();
    }

    @Test
    void rootPrefixMatchesEverything() {
        assertThat(PathRoutes.builder("x").prefix("/", "all").build().serviceFor("/anything/at/all")).isEqualTo("all");
    }

    @Test
    void relativePathIsRefused() {
        assertThatThrownBy(() -> PathRoutes.builder("myapp").prefix("api", "backend"))
                .hasMessage("route myapp: path \"api\" does not start with /; expected an absolute path such as /api");
    }

    @Test
    void aHostWithAPortOrNoRuleIsRefused() {
        assertThatThrownBy(() -> PathRoutes.builder("myapp:8080"))
                .hasMessage("route host \"myapp:8080\" is not a host name; expected a name without port or path, such as"
                        + " myapp (routes match the request's host whatever its port)");
        assertThatThrownBy(() -> PathRoutes.builder("myapp").build())
                .hasMessageStartingWith("route myapp has no path and no default service");
    }
}
