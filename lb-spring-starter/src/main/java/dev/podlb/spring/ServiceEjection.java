package dev.podlb.spring;

import static dev.podlb.spring.PodlbConfigurationException.check;

import dev.podlb.core.health.EjectionPolicy;
import java.util.function.UnaryOperator;

/**
 * A service's {@code ejection.*} settings as lb-core's {@link EjectionPolicy}. Each setting is
 * checked alone first, so that a refusal names its own property; then the settings that bound
 * each other (the ejection times, the failure rate's window and minimum) are checked together.
 */
final class ServiceEjection {
    private ServiceEjection() {}

    /**
     * The policy of the settings under {@code prefix} ({@code podlb.services.<name>.ejection}).
     *
     * @throws PodlbConfigurationException naming the setting that is wrong
     */
    static EjectionPolicy policy(String prefix, PodlbProperties.Ejection ejection) {
        alone(prefix + ".consecutive-failures", ejection.getConsecutiveFailures(),
                b -> b.consecutiveFailures(ejection.getConsecutiveFailures()));
        alone(prefix + ".base-ejection-time", ejection.getBaseEjectionTime(), b -> b.baseEjectionTime(ejection.getBaseEjectionTime())
                .maxEjectionTime(ejection.getBaseEjectionTime()));
        alone(prefix + ".max-ejection-time", ejection.getMaxEjectionTime(), b -> b.baseEjectionTime(ejection.getMaxEjectionTime())
                .maxEjectionTime(ejection.getMaxEjectionTime()));
        alone(prefix + ".max-ejection-percent", ejection.getMaxEjectionPercent(),
                b -> b.maxEjectionPercent(ejection.getMaxEjectionPercent()));
        alone(prefix + ".panic-threshold-percent", ejection.getPanicThresholdPercent(),
                b -> b.panicThresholdPercent(ejection.getPanicThresholdPercent()));
        PodlbProperties.FailureRate rate = ejection.getFailureRate();
        alone(prefix + ".failure-rate.percent", rate.getPercent(), b -> b.failureRate(rate.getPercent(), 100, 20));
        String window = rate.getWindow() < 1 ? ".failure-rate.window" : ".failure-rate.minimum-calls";
        alone(prefix + window, window.endsWith("window") ? rate.getWindow() : rate.getMinimumCalls(),
                b -> b.failureRate(rate.getPercent(), rate.getWindow(), rate.getMinimumCalls()));
        EjectionPolicy.Builder builder = EjectionPolicy.builder()
                .consecutiveFailures(ejection.getConsecutiveFailures())
                .baseEjectionTime(ejection.getBaseEjectionTime())
                .maxEjectionTime(ejection.getMaxEjectionTime())
                .maxEjectionPercent(ejection.getMaxEjectionPercent())
                .panicThresholdPercent(ejection.getPanicThresholdPercent())
                .failureRate(rate.getPercent(), rate.getWindow(), rate.getMinimumCalls());
        // Each setting passed alone, so only the times can still contradict each other.
        return check(prefix + ".max-ejection-time", ejection.getMaxEjectionTime(), builder::build);
    }

    private static void alone(String property, Object value, UnaryOperator<EjectionPolicy.Builder> setting) {
        check(property, value, () -> setting.apply(EjectionPolicy.builder()).build());
    }
}
