package dev.podlb.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns bad podlb configuration into a start-up report naming the property, its value and what is expected. */
class PodlbFailureAnalyzer extends AbstractFailureAnalyzer<PodlbConfigurationException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PodlbConfigurationException cause) {
        return new FailureAnalysis(
                "podlb could not start: property '" + cause.getProperty() + "' is '" + cause.getValue() + "'.\n\n"
                        + cause.problem(),
                cause.action(), cause);
    }
}
