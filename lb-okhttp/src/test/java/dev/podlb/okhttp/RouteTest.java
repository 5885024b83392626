package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RouteTest {
    private final Route route = Route.host("myapp")
            .prefix("/api", "backend")
            .prefix("/api/v2/", "backend-v2")
            .exact("/api/status", "status")
            .prefix("/ui", "frontend");

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
        assertThat(route.defaultService("frontend").serviceFor("/other")).isEqualTo("frontend");
    }

    @Test
    void rootPrefixMatchesEverything() {
        assertThat(Route.host("x").prefix("/", "all").serviceFor("/anything/at/all")).isEqualTo("all");
    }

    @Test
    void relativePathIsRefused() {
        assertThatThrownBy(() -> Route.host("myapp").prefix("api", "backend"))
                .hasMessage("route myapp: path \"api\" does not start with /; expected an absolute path such as /api");
    }
}
