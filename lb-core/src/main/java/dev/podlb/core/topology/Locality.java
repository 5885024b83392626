package dev.podlb.core.topology;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where this client runs: its zone and its node, as Kubernetes names them. Zone-aware routing
 * needs the zone; node hints ({@code PreferSameNode}) need the node.
 *
 * <pre>{@code
 * Locality.of("eu-west-1a", "ip-10-0-1-7")   // from settings
 * Locality.fromEnvironment()                 // PODLB_ZONE and PODLB_NODE, filled by the Downward API
 * }</pre>
 */
public final class Locality {
    /** The environment variable naming the client's zone. */
    public static final String ZONE_VARIABLE = "PODLB_ZONE";
    /** The environment variable naming the client's node. */
    public static final String NODE_VARIABLE = "PODLB_NODE";

    private static final Locality UNKNOWN = new Locality(null, null);

    private final String zone;
    private final String node;

    private Locality(String zone, String node) {
        this.zone = zone;
        this.node = node;
    }

    /** A client in {@code zone} on {@code node}; either may be {@code null} when not known. */
    public static Locality of(String zone, String node) {
        return new Locality(blankToNull(zone), blankToNull(node));
    }

    /** Nothing known: zone-aware routing is off. */
    public static Locality unknown() {
        return UNKNOWN;
    }

    /** From {@value #ZONE_VARIABLE} and {@value #NODE_VARIABLE}, as a pod's manifest can set them. */
    public static Locality fromEnvironment() {
        return from(System.getenv());
    }

    static Locality from(Map<String, String> environment) {
        return of(environment.get(ZONE_VARIABLE), environment.get(NODE_VARIABLE));
    }

    public Optional<String> zone() {
        return Optional.ofNullable(zone);
    }

    public Optional<String> node() {
        return Optional.ofNullable(node);
    }

    /** Whether neither zone nor node is known. */
    public boolean isUnknown() {
        return zone == null && node == null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Locality && Objects.equals(zone, ((Locality) o).zone) && Objects.equals(node, ((Locality) o).node);
    }

    @Override
    public int hashCode() {
        return Objects.hash(zone, node);
    }

    /** {@code zone eu-west-1a, node ip-10-0-1-7}, or {@code unknown}. */
    @Override
    public String toString() {
        if (isUnknown()) {
            return "unknown";
        }
        return (zone != null ? "zone " + zone : "zone unknown") + (node != null ? ", node " + node : "");
    }
}
