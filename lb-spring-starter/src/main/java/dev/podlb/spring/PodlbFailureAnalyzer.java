package dev.podlb.spring;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;

/**
 * Turns bad podlb configuration into a start-up report naming the property, its value and what is
 * expected: podlb's own checks, and what Spring's binder refused under {@code podlb.*}. Ordered
 * first, so that a {@code podlb.*} binding failure is not reported in Spring's words instead.
 */
class PodlbFailureAnalyzer implements FailureAnalyzer, Ordered {
    @Override
    public FailureAnalysis analyze(Throwable failure) {
        PodlbConfigurationException cause = find(failure, PodlbConfigurationException.class);
        if (cause == null) {
            BindException binding = find(failure, BindException.class);
            cause = binding != null ? PodlbBindFailure.of(binding) : null;
        }
        if (cause == null) {
            return null;
        }
        return new FailureAnalysis(
                "podlb could not start: property '" + cause.getProperty() + "' is '" + cause.getValue() + "'.\n\n"
                        + cause.problem(),
                cause.action(), cause);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
