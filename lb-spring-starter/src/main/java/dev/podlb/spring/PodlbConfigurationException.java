package dev.podlb.spring;

import java.util.function.Supplier;

/** A {@code podlb.*} property has a value podlb cannot use; the message names the property, the value and what is expected. */
public class PodlbConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String property;
    private final transient Object value;
    private final String problem;
    private final String action;

    PodlbConfigurationException(String property, Object value, String problem, Throwable cause) {
        this(property, value, problem, null, cause);
    }

    /** With {@code action}: what to do when changing the property is not the only fix, such as a dependency to add. */
    PodlbConfigurationException(String property, Object value, String problem, String action, Throwable cause) {
        super("property '" + property + "' is '" + value + "': " + problem, cause);
        this.property = property;
        this.value = value;
        this.problem = problem;
        this.action = action;
    }

    /**
     * Runs {@code step}, which applies {@code property}'s {@code value} to a podlb builder, and
     * reports what the builder refuses against the property.
     */
    static <T> T check(String property, Object value, Supplier<T> step) {
        try {
            return step.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new PodlbConfigurationException(property, value, expectation(e.getMessage(), value), e);
        }
    }

    /**
     * A builder's message without its opening "{@code <Java setting> is <value>; }", which the
     * report already says with the property's own name: what is left says what is expected.
     */
    private static String expectation(String message, Object value) {
        String restated = " is " + value + "; ";
        int at = message == null ? -1 : message.indexOf(restated);
        return at >= 0 && message.indexOf(';') == at + restated.length() - 2 ? message.substring(at + restated.length()) : message;
    }

    /** The full path of the property, such as {@code podlb.services.backend.ejection.max-ejection-percent}. */
    public String getProperty() {
        return property;
    }

    public Object getValue() {
        return value;
    }

    /** What is wrong with the value and what is expected. */
    String problem() {
        return problem;
    }

    /** What to do about it, for the start-up report. */
    String action() {
        return action != null ? action : "Change '" + property + "' in your configuration (application.yml or properties).";
    }
}
