package dev.podlb.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EjectionPolicyTest {
    @Test
    void defaultsAreEnvoysOutlierDetection() {
        EjectionPolicy policy = EjectionPolicy.defaults();
        assertThat(policy.consecutiveFailures()).isEqualTo(5);
        assertThat(policy.ejectionTime(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.ejectionTime(4)).isEqualTo(Duration.ofSeconds(120));
        assertThat(policy.ejectionTime(50)).isEqualTo(Duration.ofSeconds(300));
    }

    @Test
    void badSettingsAreRefusedNamingTheSettingAndValue() {
        assertThatThrownBy(() -> EjectionPolicy.builder().consecutiveFailures(-1).build())
                .hasMessage("ejection consecutiveFailures is -1; expected 0 (off) or more");
        assertThatThrownBy(() -> EjectionPolicy.builder().failureRate(150, 10, 5).build())
                .hasMessage("ejection failureRate percent is 150.0; expected 0 (off) to 100");
        assertThatThrownBy(() -> EjectionPolicy.builder().failureRate(50, 10, 20).build())
                .hasMessage("ejection failureRate window is 10 calls with minimumCalls 20; "
                        + "expected a window of at least 1 and minimumCalls from 1 to the window");
        assertThatThrownBy(() -> EjectionPolicy.builder().baseEjectionTime(Duration.ofSeconds(-1)).build())
                .hasMessage("ejection baseEjectionTime is PT-1S; expected a positive duration such as PT30S");
        assertThatThrownBy(() -> EjectionPolicy.builder().maxEjectionTime(Duration.ofSeconds(10)).build())
                .hasMessage("ejection maxEjectionTime PT10S is shorter than baseEjectionTime PT30S; expected at least as long");
    }
}
