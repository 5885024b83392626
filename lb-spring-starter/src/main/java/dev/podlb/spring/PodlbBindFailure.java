package dev.podlb.spring;

import java.beans.PropertyDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.core.ResolvableType;
import org.springframework.util.unit.DataSize;

/**
 * A {@code podlb.*} property Spring could not bind, said as podlb says every bad setting: the full
 * property, its value and what is expected — a misspelled key with the settings that exist there
 * and the nearest of them, an enum value with its spellings as documented (round-robin, not
 * ROUND_ROBIN), a value of the wrong type with an example of the right one.
 */
final class PodlbBindFailure {
    private static final String PREFIX = "podlb";

    private PodlbBindFailure() {}

    /** The failure as podlb reports it, or {@code null} when it is not about a {@code podlb.*} property. */
    static PodlbConfigurationException of(BindException failure) {
        if (failure.getCause() instanceof UnboundConfigurationPropertiesException unbound
                && !unbound.getUnboundProperties().isEmpty()) {
            ConfigurationProperty first = unbound.getUnboundProperties().iterator().next();
            return unknown(first.getName(), first.getValue(), failure);
        }
        ConfigurationProperty property = failure.getProperty();
        ConfigurationPropertyName name = property != null ? property.getName() : failure.getName();
        if (!ConfigurationPropertyName.of(PREFIX).isAncestorOf(name)) {
            return null;
        }
        Class<?> type = failure.getTarget().getType().resolve(Object.class);
        return new PodlbConfigurationException(name.toString(), property != null ? property.getValue() : null,
                "expected " + expected(type), failure);
    }

    private static PodlbConfigurationException unknown(ConfigurationPropertyName name, Object value, BindException failure) {
        ResolvableType type = ResolvableType.forClass(PodlbProperties.class);
        StringBuilder path = new StringBuilder(PREFIX);
        for (int i = 1; i < name.getNumberOfElements(); i++) {
            Class<?> raw = type.resolve(Object.class);
            if (Map.class.isAssignableFrom(raw)) {
                type = type.asMap().getGeneric(1);
            } else if (List.class.isAssignableFrom(raw)) {
                type = type.asCollection().getGeneric(0);
            } else {
                String element = name.getElement(i, ConfigurationPropertyName.Form.DASHED);
                List<String> known = settings(raw);
                PropertyDescriptor found = Arrays.stream(BeanUtils.getPropertyDescriptors(raw))
                        .filter(p -> p.getReadMethod() != null && dashed(p.getName()).equals(element)).findFirst().orElse(null);
                if (found == null) {
                    String nearest = nearest(element, known);
                    return new PodlbConfigurationException(name.toString(), value, "podlb has no setting '" + element
                            + "' under " + path + "; expected one of " + String.join(", ", known)
                            + (nearest != null ? " (did you mean '" + nearest + "'?)" : ""), failure);
                }
                type = ResolvableType.forMethodReturnType(found.getReadMethod());
            }
            String element = name.getElement(i, ConfigurationPropertyName.Form.ORIGINAL);
            path.append(name.isNumericIndex(i) ? "[" + element + "]" : "." + element);
        }
        return new PodlbConfigurationException(name.toString(), value, "podlb has no such setting; expected a setting"
                + " documented under podlb.*", failure);
    }

    /** What a value of {@code type} looks like, for the message. */
    static String expected(Class<?> type) {
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .collect(Collectors.joining(" | "));
        }
        if (type == Duration.class) {
            return "a duration such as 500ms, 30s or 5m";
        }
        if (type == DataSize.class) {
            return "a size such as 64KB or 1MB";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number such as 0.25";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a " + type.getSimpleName();
    }

    /** The settings of a properties class, as written in configuration. */
    private static List<String> settings(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (PropertyDescriptor p : BeanUtils.getPropertyDescriptors(type)) {
            if (p.getReadMethod() != null && !p.getName().equals("class")) {
                names.add(dashed(p.getName()));
            }
        }
        return names;
    }

    private static String dashed(String camel) {
        return camel.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    /** The known setting closest to {@code typed}, when it is a plausible typo (at most 2 edits), else null. */
    private static String nearest(String typed, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int distance = distance(typed, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
