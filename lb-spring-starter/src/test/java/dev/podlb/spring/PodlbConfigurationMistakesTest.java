package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Every kind of bad setting the README promises stops start-up: a misspelled key, an unknown enum
 * value, a value of the wrong type, a value out of range and settings that contradict each other.
 * Each is reported as {@code podlb could not start: property '<full path>' is '<value>'} with
 * what is expected.
 */
class PodlbConfigurationMistakesTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PodlbAutoConfiguration.class))
            .withPropertyValues("podlb.services.backend.target=static:///127.0.0.2:8080,127.0.0.3:8080");

    @Test
    void misspelledKeysAreRefusedWithTheSettingsThatExist() {
        assertRefused("podlb.services.backend.piker", "sticky", "podlb has no setting 'piker' under"
                + " podlb.services.backend; expected one of ", "podlb.services.backend.piker=sticky");
        assertRefused("podlb.services.backend.piker", "sticky", "(did you mean 'picker'?)", "podlb.services.backend.piker=sticky");
        assertRefused("podlb.services.backend.stiky.header", "X-Session-Id", "(did you mean 'sticky'?)",
                "podlb.services.backend.stiky.header=X-Session-Id");
        assertRefused("podlb.services.backend.sticky.heder", "X-Session-Id", "under podlb.services.backend.sticky; expected"
                + " one of cookie, header, learn-cookie, load-bound, session-memory (did you mean 'header'?)",
                "podlb.services.backend.sticky.heder=X-Session-Id");
        assertRefused("podlb.servics.backend.target", "static:///127.0.0.4:80", "(did you mean 'services'?)",
                "podlb.servics.backend.target=static:///127.0.0.4:80");
        assertRefused("podlb.routes[0].pats[0].path", "/api", "under podlb.routes[0]",
                "podlb.routes[0].host=myapp", "podlb.routes[0].pats[0].path=/api");
    }

    @Test
    void unknownEnumValuesAreRefusedInTheDocumentedSpelling() {
        assertRefused("podlb.services.backend.picker", "stiky", "expected one of round-robin | sticky | least-request",
                "podlb.services.backend.picker=stiky");
        assertRefused("podlb.dns.ip-family", "ipv5", "expected one of ipv4 | ipv6 | both", "podlb.dns.ip-family=ipv5");
        assertRefused("podlb.services.backend.when-pin-unavailable", "any", "expected one of fail | use-any",
                "podlb.services.backend.when-pin-unavailable=any");
        assertRefused("podlb.routes[0].paths[0].type", "prefixx", "expected one of prefix | exact",
                "podlb.routes[0].host=myapp", "podlb.routes[0].paths[0].path=/api", "podlb.routes[0].paths[0].type=prefixx",
                "podlb.routes[0].paths[0].service=backend");
    }

    @Test
    void valuesOfTheWrongTypeAreRefusedWithAnExample() {
        assertRefused("podlb.services.backend.retry.backoff.base", "soon", "expected a duration such as 500ms, 30s or 5m",
                "podlb.services.backend.retry.backoff.base=soon");
        assertRefused("podlb.services.backend.ejection.consecutive-failures", "five", "expected a whole number",
                "podlb.services.backend.ejection.consecutive-failures=five");
    }

    @Test
    void valuesOutOfRangeAreRefusedNamingTheirProperty() {
        assertRefused("podlb.services.backend.ejection.max-ejection-percent", "150", "expected 0 to 100",
                "podlb.services.backend.ejection.max-ejection-percent=150");
        assertRefused("podlb.services.backend.ejection.panic-threshold-percent", "-1", "expected 0",
                "podlb.services.backend.ejection.panic-threshold-percent=-1");
        assertRefused("podlb.services.backend.ejection.max-ejection-time", "PT10S", "is shorter than baseEjectionTime PT30S",
                "podlb.services.backend.ejection.max-ejection-time=10s");
        assertRefused("podlb.services.backend.ejection.failure-rate.minimum-calls", "200", "minimumCalls from 1 to the window",
                "podlb.services.backend.ejection.failure-rate.percent=50",
                "podlb.services.backend.ejection.failure-rate.minimum-calls=200");
        assertRefused("podlb.services.backend.retry.budget.ratio", "1.5", "expected 0 to 1",
                "podlb.services.backend.retry.budget.ratio=1.5");
        assertRefused("podlb.services.backend.retry.backoff.max", "PT1S", "expected from the base (PT2S) to 10s",
                "podlb.services.backend.retry.backoff.base=2s", "podlb.services.backend.retry.backoff.max=1s");
        assertRefused("podlb.services.backend.least-request.choices", "1", "expected 2 to 100",
                "podlb.services.backend.picker=least-request", "podlb.services.backend.least-request.choices=1");
        assertRefused("podlb.services.backend.slow-start.min-percent", "0.0", "expected more than 0 and at most 100",
                "podlb.services.backend.slow-start.window=30s", "podlb.services.backend.slow-start.min-percent=0");
        assertRefused("podlb.services.backend.sticky.load-bound", "0.0", "expected more than 0",
                "podlb.services.backend.sticky.header=X-Session-Id", "podlb.services.backend.sticky.load-bound=0");
        assertRefused("podlb.dns.ndots", "20", "expected 0 to 15", "podlb.dns.ndots=20");
        assertRefused("podlb.dns.servers[0]", "localhost:5353", "expected ip, ip:port or [ipv6]:port",
                "podlb.dns.servers=localhost:5353");
        assertRefused("podlb.dns.refresh.max", "PT10S", "DNS minRefresh PT1M is above maxRefresh PT10S",
                "podlb.dns.refresh.min=1m", "podlb.dns.refresh.max=10s");
    }

    @Test
    void hedgingValuesAreRefusedNamingTheirProperty() {
        assertRefused("podlb.services.backend.hedging.after", "PT0S", "expected 1 ms to 1 minute, such as 50ms",
                "podlb.services.backend.hedging.after=0ms");
        assertRefused("podlb.services.backend.hedging.after", "soon", "expected a duration such as 500ms, 30s or 5m",
                "podlb.services.backend.hedging.after=soon");
        assertRefused("podlb.services.backend.hedging.percentile", "100.0", "expected 50 or more and below 100, such as 95",
                "podlb.services.backend.hedging.percentile=100", "podlb.services.backend.hedging.initial-delay=50ms");
        assertRefused("podlb.services.backend.hedging.initial-delay", "PT2M", "expected 1 ms to 1 minute, such as 50ms",
                "podlb.services.backend.hedging.percentile=95", "podlb.services.backend.hedging.initial-delay=2m");
        assertRefused("podlb.services.backend.hedging.initial-delay", "null", "expected the delay used until the percentile"
                + " is known, such as 50ms", "podlb.services.backend.hedging.percentile=95");
        assertRefused("podlb.services.backend.hedging.initial-delay", "PT0.05S", "it applies to hedging.percentile only,"
                + " which is not set; expected hedging.percentile, or hedging.after alone",
                "podlb.services.backend.hedging.initial-delay=50ms");
        assertRefused("podlb.services.backend.hedging.aftr", "50ms", "(did you mean 'after'?)",
                "podlb.services.backend.hedging.aftr=50ms");
    }

    @Test
    void hedgingAfterAFixedDelayAndAtAPercentileTogetherAreRefused() {
        assertRefused("podlb.services.backend.hedging.percentile", "95.0", "podlb.services.backend.hedging.after is set"
                + " too; expected one of them: after (a fixed delay) or percentile with initial-delay",
                "podlb.services.backend.hedging.after=50ms", "podlb.services.backend.hedging.percentile=95",
                "podlb.services.backend.hedging.initial-delay=50ms");
    }

    @Test
    void settingsThatContradictEachOtherAreRefusedNamingBoth() {
        assertRefused("podlb.services.backend.picker", "round-robin", "picker round-robin ignores the sticky key that"
                + " podlb.services.backend.sticky.header sets; expected picker: sticky",
                "podlb.services.backend.picker=round-robin", "podlb.services.backend.sticky.header=X-Session-Id");
        assertRefused("podlb.services.backend.picker", "sticky", "a sticky picker needs a sticky key",
                "podlb.services.backend.picker=sticky");
        assertRefused("podlb.services.backend.least-request.choices", "3", "it applies to picker least-request only, and"
                + " podlb.services.backend.picker is round-robin (the default); expected picker: least-request",
                "podlb.services.backend.least-request.choices=3");
        assertRefused("podlb.services.backend.least-request.failure-penalty", "3.0", "it applies to a latency-aware"
                + " least-request only, and podlb.services.backend.least-request.latency-aware is false",
                "podlb.services.backend.picker=least-request", "podlb.services.backend.least-request.failure-penalty=3");
        assertRefused("podlb.services.backend.slow-start.window", "PT30S", "it applies to picker round-robin or"
                + " least-request only, and podlb.services.backend.picker is sticky (the default)",
                "podlb.services.backend.sticky.header=X-Session-Id", "podlb.services.backend.slow-start.window=30s");
        assertRefused("podlb.services.backend.slow-start.window", "null", "slow start needs the time",
                "podlb.services.backend.slow-start.aggression=2");
        assertRefused("podlb.services.backend.sticky.load-bound", "0.25", "it applies to picker sticky only",
                "podlb.services.backend.sticky.load-bound=0.25");
        assertRefused("podlb.services.backend.sticky.cookie", "session", "podlb.services.backend.sticky.header is set too",
                "podlb.services.backend.sticky.header=X-Session-Id", "podlb.services.backend.sticky.cookie=session");
        assertRefused("podlb.services.backend.sticky.session-memory.maximum-size", "10", "learn-cookie is not set",
                "podlb.services.backend.sticky.header=X-Session-Id", "podlb.services.backend.sticky.session-memory.maximum-size=10");
    }

    private void assertRefused(String property, String value, String expected, String... properties) {
        runner.withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new PodlbFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).as("podlb's report of %s", context.getStartupFailure()).isNotNull();
            assertThat(analysis.getDescription())
                    .startsWith("podlb could not start: property '" + property + "' is '" + value + "'.\n\n")
                    .contains(expected);
            assertThat(analysis.getAction()).contains(property);
        });
    }
}
