package dev.podlb.spring;

/** A {@code podlb.*} property has a value podlb cannot use; the message names the property, the value and what is expected. */
public class PodlbConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String property;
    private final transient Object value;
    private final String problem;

    PodlbConfigurationException(String property, Object value, String problem, Throwable cause) {
        super("podlb property " + property + " = " + value + ": " + problem, cause);
        this.property = property;
        this.value = value;
        this.problem = problem;
    }

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
}
