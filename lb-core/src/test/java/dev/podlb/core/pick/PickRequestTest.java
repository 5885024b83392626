package dev.podlb.core.pick;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PickRequestTest {
    @Test
    void attributesAreCarriedAndImmutable() {
        PickRequest request = PickRequest.builder().attribute("x-tenant", "acme").attributes(Map.of("x-priority", "high"))
                .build();
        assertThat(request.attribute("x-tenant")).isEqualTo("acme");
        assertThat(request.attribute("X-Tenant")).isNull();
        assertThat(request.attributes()).containsOnly(Map.entry("x-tenant", "acme"), Map.entry("x-priority", "high"));
        assertThatThrownBy(() -> request.attributes().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aRequestWithNothingIsTheSharedEmptyOne() {
        assertThat(PickRequest.builder().build()).isSameAs(PickRequest.none());
        assertThat(PickRequest.builder().attribute("x-tenant", "acme").attribute("x-tenant", null).build())
                .isSameAs(PickRequest.none());
        assertThat(PickRequest.none().attributes()).isEmpty();
        assertThat(PickRequest.sticky("k").attributes()).isEmpty();
    }

    @Test
    void toStringNamesAttributesWithoutTheirValues() {
        PickRequest request = PickRequest.builder().stickyKey("cart-1").attribute("authorization", "Bearer secret").build();
        assertThat(request).hasToString("PickRequest{stickyKey=cart-1, pin=null, attributes=[authorization]}");
        assertThat(PickRequest.pinned("pod-a")).hasToString("PickRequest{stickyKey=null, pin=pod-a}");
    }

    @Test
    void anEmptyAttributeNameIsRefused() {
        assertThatThrownBy(() -> PickRequest.builder().attribute("", "v"))
                .hasMessage("pick request attribute name is empty; expected a name such as \"x-tenant\"");
    }
}
