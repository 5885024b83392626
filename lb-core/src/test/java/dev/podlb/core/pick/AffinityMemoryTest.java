package dev.podlb.core.pick;

import static dev.podlb.core.pick.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import dev.podlb.core.time.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AffinityMemoryTest {
    private final ManualScheduler time = new ManualScheduler();
    private final AffinityMemory memory = AffinityMemory.builder().maximumSize(1000)
            .idleExpiry(Duration.ofMinutes(30)).scheduler(time).build();
    private final PickerInstance sticky = Fixtures.instance(Pickers.sticky(memory));

    private Picker over(List<Endpoint> endpoints) {
        EndpointSet set = EndpointSet.of(1, endpoints);
        return sticky.newPicker(PickableEndpoints.of("backend", set));
    }

    /** An endpoint the hash does not choose for this key, so a binding is visible. */
    private static Endpoint notHashedTo(Picker plain, String key, List<Endpoint> endpoints) {
        Endpoint hashed = plain.pick(PickRequest.sticky(key));
        return endpoints.stream().filter(e -> !e.equals(hashed)).findFirst().orElseThrow();
    }

    @Test
    void aBoundKeyGoesToItsEndpointWhateverTheHashSays() {
        List<Endpoint> endpoints = endpoints(5);
        Endpoint bound = notHashedTo(Fixtures.picker(Pickers.sticky(), endpoints), "JSESSIONID-1", endpoints);
        memory.bind("JSESSIONID-1", bound);
        Picker picker = over(endpoints);
        for (int i = 0; i < 10; i++) {
            assertThat(picker.pick(PickRequest.sticky("JSESSIONID-1"))).isEqualTo(bound);
        }
    }

    @Test
    void aBoundKeyFollowsTheHashWhileItsEndpointIsNotPickable() {
        List<Endpoint> endpoints = endpoints(5);
        Endpoint bound = notHashedTo(Fixtures.picker(Pickers.sticky(), endpoints), "k", endpoints);
        memory.bind("k", bound);
        List<Endpoint> without = new ArrayList<>(endpoints);
        without.remove(bound);
        assertThat(over(without).pick(PickRequest.sticky("k"))).isNotEqualTo(bound);
        assertThat(over(endpoints).pick(PickRequest.sticky("k"))).isEqualTo(bound);
    }

    @Test
    void anIdleBindingIsForgotten() {
        Endpoint e = endpoints(1).get(0);
        memory.bind("k", e);
        time.advance(Duration.ofMinutes(29));
        assertThat(memory.boundTo("k")).isEqualTo(e.socketAddress());
        time.advance(Duration.ofMinutes(29));
        assertThat(memory.boundTo("k")).isEqualTo(e.socketAddress());
        time.advance(Duration.ofMinutes(31));
        assertThat(memory.boundTo("k")).isNull();
    }

    @Test
    void manyHugeKeysStayWithinTheMaximum() {
        Endpoint e = endpoints(1).get(0);
        String huge = "x".repeat(64 * 1024);
        for (int i = 0; i < 5000; i++) {
            memory.bind(huge + i, e);
        }
        assertThat(memory.size()).isLessThanOrEqualTo(1000);
    }

    @Test
    void badSettingsAndKeysAreRefusedWithTheirName() {
        assertThatThrownBy(() -> AffinityMemory.builder().maximumSize(0).build())
                .hasMessage("affinity memory maximumSize is 0; expected at least 1");
        assertThatThrownBy(() -> AffinityMemory.builder().idleExpiry(Duration.ZERO).build())
                .hasMessage("affinity memory idleExpiry is PT0S; expected a positive duration such as PT30M");
        assertThatThrownBy(() -> memory.bind("", endpoints(1).get(0)))
                .hasMessage("affinity key is empty; expected a session key such as a cookie value");
    }
}
