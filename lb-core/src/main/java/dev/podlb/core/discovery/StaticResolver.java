package dev.podlb.core.discovery;

import dev.podlb.core.Endpoint;
import dev.podlb.core.EndpointSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Endpoints the application names itself rather than discovers: from a
 * {@code static:///10.0.0.1:8080,[fd00::2]:8080} target, or set and changed in code.
 *
 * <pre>{@code
 * StaticResolver pods = StaticResolver.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));
 * pods.update(List.of(Endpoint.of("10.0.0.3", 8080)));   // subscribers get the new set
 * }</pre>
 */
public final class StaticResolver extends PublishingResolver {
    private final String description;

    private StaticResolver(String description, Collection<Endpoint> endpoints) {
        this.description = description;
        publish(EndpointSet.of(0, endpoints));
    }

    public static StaticResolver of(Endpoint... endpoints) {
        return of(List.of(endpoints));
    }

    public static StaticResolver of(Collection<Endpoint> endpoints) {
        return new StaticResolver("static", endpoints);
    }

    /** Parses {@code static:///ip:port,ip:port,...}; IPv6 addresses go in brackets. */
    public static StaticResolver forTarget(String target) {
        return forTarget(Target.parse(target));
    }

    /** A resolver for a parsed {@code static:///} target. */
    public static StaticResolver forTarget(Target target) {
        if (!target.scheme().equals("static")) {
            throw new IllegalArgumentException("target \"" + target + "\" is not a static target; expected static:///"
                    + Target.example("static"));
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (String item : target.path().split(",", -1)) {
            endpoints.add(parseEndpoint(target, item.strip()));
        }
        return new StaticResolver(target.toString(), endpoints);
    }

    private static Endpoint parseEndpoint(Target target, String item) {
        String expected = "; expected static:///<ip>:<port>[,<ip>:<port>...], IPv6 in brackets, such as static:///"
                + Target.example("static") + ",[fd00::1]:8080";
        if (item.isEmpty()) {
            throw new IllegalArgumentException("target \"" + target + "\" has an empty address in its list" + expected);
        }
        int colon = item.lastIndexOf(':');
        boolean bracketed = item.startsWith("[");
        if (!bracketed && colon >= 0 && item.indexOf(':') != colon) {
            throw new IllegalArgumentException("target \"" + target + "\": IPv6 address \"" + item
                    + "\" is not in brackets" + expected);
        }
        if (colon < 0 || (bracketed && colon < item.indexOf(']'))) {
            throw new IllegalArgumentException("target \"" + target + "\": address \"" + item + "\" has no port" + expected);
        }
        String host = item.substring(0, colon);
        String portText = item.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target \"" + target + "\": port \"" + portText + "\" of \"" + item
                    + "\" is not a number" + expected);
        }
        try {
            return Endpoint.of(host, port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("target \"" + target + "\": " + e.getMessage(), e);
        }
    }

    /** Replaces the endpoints; subscribers get the new set unless it equals the current one. */
    public void update(Collection<Endpoint> endpoints) {
        Objects.requireNonNull(endpoints, "endpoints");
        publish(EndpointSet.of(0, endpoints));
    }

    @Override
    public String describe() {
        return description;
    }

    /** Nothing runs in the background, so nothing stops. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        EndpointSet set = current();
        return "StaticResolver{" + description + ", " + (set == null ? "no set" : set) + "}";
    }
}
