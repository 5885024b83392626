package dev.podlb.core.discovery;

import java.util.Locale;
import java.util.Set;

/**
 * A parsed target string, {@code scheme:///rest}: where a service's endpoints come from.
 * <ul>
 * <li>{@code static:///10.0.0.1:8080,10.0.0.2:8080} — a fixed list;</li>
 * <li>{@code dns:///backend.default.svc.cluster.local:8080} and {@code k8s:///backend.default:http}
 *     — discovery, resolved by their own resolvers;</li>
 * <li>any scheme an application registers with {@link Discovery.Builder#scheme}.</li>
 * </ul>
 */
public final class Target {
    /** The schemes podlb resolves itself; {@link Discovery.Builder#scheme} adds others. */
    public static final Set<String> SCHEMES = Set.of("static", "dns", "k8s");

    private final String text;
    private final String scheme;
    private final String path;

    private Target(String text, String scheme, String path) {
        this.text = text;
        this.scheme = scheme;
        this.path = path;
    }

    /** Parses {@code scheme:///rest}, with a message naming what is wrong when it is malformed. */
    public static Target parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("target is " + (text == null ? "null" : "blank")
                    + "; expected scheme:///..., such as dns:///backend.default.svc.cluster.local:8080");
        }
        String trimmed = text.strip();
        int colon = trimmed.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("target \"" + text + "\" has no scheme; expected one of "
                    + schemes() + " as scheme:///..., such as static:///10.0.0.1:8080");
        }
        String scheme = trimmed.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!isSchemeName(scheme)) {
            throw new IllegalArgumentException("target \"" + text + "\" has scheme \"" + scheme
                    + "\", which is not a scheme name; expected a letter then letters, digits, +, - or ., such as "
                    + schemes());
        }
        String rest = trimmed.substring(colon + 1);
        if (!SCHEMES.contains(scheme) && !rest.startsWith("///")) {
            throw new IllegalArgumentException("target \"" + text + "\" has unknown scheme \"" + scheme
                    + "\"; expected one of " + schemes() + " (or one registered with Discovery.Builder.scheme)");
        }
        if (!rest.startsWith("///")) {
            throw new IllegalArgumentException("target \"" + text + "\" does not start with " + scheme
                    + ":///; expected " + scheme + ":///" + example(scheme) + " (three slashes: the authority is empty)");
        }
        String path = rest.substring(3);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("target \"" + text + "\" names nothing after " + scheme
                    + ":///; expected " + scheme + ":///" + example(scheme));
        }
        return new Target(trimmed, scheme, path);
    }

    /** A URI scheme name (RFC 3986): a letter, then letters, digits, {@code +}, {@code -} or {@code .}. */
    static boolean isSchemeName(String scheme) {
        if (scheme.isEmpty() || !Character.isLetter(scheme.charAt(0))) {
            return false;
        }
        return scheme.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-'
                || c == '.');
    }

    /** {@code static}, {@code dns}, {@code k8s}, or a scheme an application registered. */
    public String scheme() {
        return scheme;
    }

    /** What follows {@code scheme:///}. */
    public String path() {
        return path;
    }

    /** An example of the part after {@code scheme:///}, for error messages. */
    static String example(String scheme) {
        switch (scheme) {
            case "static":
                return "10.0.0.1:8080,10.0.0.2:8080";
            case "dns":
                return "backend.default.svc.cluster.local:8080";
            case "k8s":
                return "backend.default:http";
            default:
                return "<what the " + scheme + " resolver reads>";
        }
    }

    private static String schemes() {
        return "static, dns, k8s";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Target && text.equals(((Target) o).text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
