package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * What a user sees when a {@code podlb.*} setting is wrong: Spring Boot's start-up report, with
 * every failure analyzer on the class path competing, says it in podlb's words — the full
 * property, the value, and what is expected — not in the binder's.
 */
@ExtendWith(OutputCaptureExtension.class)
class PodlbStartupReportTest {
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {}

    private static void start(String... properties) {
        SpringApplication app = new SpringApplication(App.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        Map<String, Object> defaults = new java.util.LinkedHashMap<>();
        defaults.put("podlb.services.backend.target", "static:///127.0.0.2:8080");
        for (String property : properties) {
            defaults.put(property.substring(0, property.indexOf('=')), property.substring(property.indexOf('=') + 1));
        }
        app.setDefaultProperties(defaults);
        assertThatThrownBy(app::run).isNotNull();
    }

    @Test
    void aMisspelledKeyIsReportedInPodlbsWords(CapturedOutput output) {
        start("podlb.services.backend.piker=sticky");
        assertThat(output).contains("podlb could not start: property 'podlb.services.backend.piker' is 'sticky'.")
                .contains("(did you mean 'picker'?)")
                .contains("Change 'podlb.services.backend.piker' in your configuration");
    }

    @Test
    void anUnknownPickerIsReportedWithTheDocumentedSpellings(CapturedOutput output) {
        start("podlb.services.backend.picker=stiky");
        assertThat(output).contains("podlb could not start: property 'podlb.services.backend.picker' is 'stiky'.")
                .contains("expected one of round-robin | sticky | least-request")
                .doesNotContain("ROUND_ROBIN");
    }
}
