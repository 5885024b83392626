package dev.podlb.core;

import dev.podlb.core.internal.Hashing;
import dev.podlb.core.internal.InetAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One pod address a call can go to: an IP address and port, plus what discovery knows about the
 * pod. Immutable. Its identity is its address and port ({@link #socketAddress()}): two endpoints
 * with the same address and port are the same pod to health tracking and sticky hashing, whatever
 * else discovery reports about them.
 *
 * <pre>{@code
 * Endpoint pod = Endpoint.builder("10.0.0.7", 8080).podName("backend-7d9f").zone("eu-west-1a").build();
 * }</pre>
 */
public final class Endpoint {
    private final InetSocketAddress socketAddress;
    private final String podName;
    private final String nodeName;
    private final String zone;
    private final Readiness readiness;
    private final int weight;
    private final Set<String> zoneHints;
    private final Set<String> nodeHints;
    private final long identityHash;
    private final String authority;

    private Endpoint(Builder builder) {
        this.socketAddress = new InetSocketAddress(builder.address, builder.port);
        this.podName = builder.podName;
        this.nodeName = builder.nodeName;
        this.zone = builder.zone;
        this.readiness = builder.readiness;
        this.weight = builder.weight;
        this.zoneHints = builder.zoneHints;
        this.nodeHints = builder.nodeHints;
        this.identityHash = Hashing.ofAddress(builder.address.getAddress(), builder.port);
        this.authority = InetAddresses.toUriHost(builder.address) + ":" + builder.port;
    }

    /** A ready endpoint at an IP literal ({@code "10.0.0.1"}, {@code "fd00::1"}) and port. */
    public static Endpoint of(String ip, int port) {
        return builder(ip, port).build();
    }

    /** A ready endpoint at an address and port. */
    public static Endpoint of(InetAddress address, int port) {
        return builder(address, port).build();
    }

    /** Starts an endpoint at an IP literal; a host name is refused, since it would need DNS. */
    public static Builder builder(String ip, int port) {
        InetAddress address = InetAddresses.parseLiteral(ip);
        if (address == null) {
            throw new IllegalArgumentException("endpoint address \"" + ip
                    + "\" is not an IP address; expected an IPv4 or IPv6 literal such as 10.0.0.1 or fd00::1");
        }
        return builder(address, port);
    }

    /** Starts an endpoint at an address and port. */
    public static Builder builder(InetAddress address, int port) {
        return new Builder(address, port);
    }

    /** A builder holding this endpoint's values, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(address(), port()).podName(podName).nodeName(nodeName).zone(zone)
                .readiness(readiness).weight(weight).zoneHints(zoneHints).nodeHints(nodeHints);
    }

    public InetAddress address() {
        return socketAddress.getAddress();
    }

    public int port() {
        return socketAddress.getPort();
    }

    /** The endpoint's identity: address and port. Never needs DNS. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    /** {@code 10.0.0.1:8080} or {@code [fd00::1]:8080}. */
    public String authority() {
        return authority;
    }

    /** The pod behind this address, when discovery knows it (EndpointSlice targetRef). */
    public Optional<String> podName() {
        return Optional.ofNullable(podName);
    }

    public Optional<String> nodeName() {
        return Optional.ofNullable(nodeName);
    }

    public Optional<String> zone() {
        return Optional.ofNullable(zone);
    }

    public Readiness readiness() {
        return readiness;
    }

    /**
     * The zones whose clients this endpoint should serve, from the EndpointSlice's
     * {@code hints.forZones} (topology-aware routing, {@code trafficDistribution}); empty when unhinted.
     */
    public Set<String> zoneHints() {
        return zoneHints;
    }

    /** The nodes whose clients this endpoint should serve, from {@code hints.forNodes}; empty when unhinted. */
    public Set<String> nodeHints() {
        return nodeHints;
    }

    /** Relative weight, from DNS SRV records; 1 when discovery gives none. */
    public int weight() {
        return weight;
    }

    /**
     * A 64-bit hash of {@link #socketAddress()}, the same in every JVM. Sticky pickers place
     * endpoints by it, so every client replica places them alike.
     */
    public long identityHash() {
        return identityHash;
    }

    /** Whether {@code other} is the same address and port, whatever else differs. */
    public boolean sameIdentity(Endpoint other) {
        return socketAddress.equals(other.socketAddress);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Endpoint)) {
            return false;
        }
        Endpoint that = (Endpoint) o;
        return weight == that.weight && socketAddress.equals(that.socketAddress)
                && Objects.equals(podName, that.podName) && Objects.equals(nodeName, that.nodeName)
                && Objects.equals(zone, that.zone) && readiness == that.readiness
                && zoneHints.equals(that.zoneHints) && nodeHints.equals(that.nodeHints);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(identityHash) * 31 + readiness.hashCode();
    }

    /** {@code 10.0.0.1:8080 (pod backend-0, node n1, zone a, READY)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(authority).append(" (");
        if (podName != null) {
            s.append("pod ").append(podName).append(", ");
        }
        if (nodeName != null) {
            s.append("node ").append(nodeName).append(", ");
        }
        if (zone != null) {
            s.append("zone ").append(zone).append(", ");
        }
        if (weight != 1) {
            s.append("weight ").append(weight).append(", ");
        }
        if (!zoneHints.isEmpty()) {
            s.append("for zones ").append(String.join("+", new java.util.TreeSet<>(zoneHints))).append(", ");
        }
        if (!nodeHints.isEmpty()) {
            s.append("for nodes ").append(String.join("+", new java.util.TreeSet<>(nodeHints))).append(", ");
        }
        return s.append(readiness).append(')').toString();
    }

    /** Builds an {@link Endpoint}; every setting is checked here, so {@link #build()} cannot fail. */
    public static final class Builder {
        private final InetAddress address;
        private final int port;
        private String podName;
        private String nodeName;
        private String zone;
        private Readiness readiness = Readiness.READY;
        private int weight = 1;
        private Set<String> zoneHints = Set.of();
        private Set<String> nodeHints = Set.of();

        private Builder(InetAddress address, int port) {
            Objects.requireNonNull(address, "address");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("endpoint port " + port + " is out of range; expected 1 to 65535");
            }
            this.address = InetAddresses.bare(address);
            this.port = port;
        }

        public Builder podName(String podName) {
            this.podName = blankToNull(podName);
            return this;
        }

        public Builder nodeName(String nodeName) {
            this.nodeName = blankToNull(nodeName);
            return this;
        }

        public Builder zone(String zone) {
            this.zone = blankToNull(zone);
            return this;
        }

        public Builder readiness(Readiness readiness) {
            this.readiness = Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        /** Relative weight from 0 to 65535 (the range of a DNS SRV weight). */
        public Builder weight(int weight) {
            if (weight < 0 || weight > 65535) {
                throw new IllegalArgumentException("endpoint weight " + weight + " is out of range; expected 0 to 65535");
            }
            this.weight = weight;
            return this;
        }

        /** The zones this endpoint is hinted for ({@code hints.forZones}); blank names are ignored. */
        public Builder zoneHints(Collection<String> zones) {
            this.zoneHints = names(zones);
            return this;
        }

        /** The nodes this endpoint is hinted for ({@code hints.forNodes}); blank names are ignored. */
        public Builder nodeHints(Collection<String> nodes) {
            this.nodeHints = names(nodes);
            return this;
        }

        public Endpoint build() {
            return new Endpoint(this);
        }

        private static Set<String> names(Collection<String> names) {
            Objects.requireNonNull(names, "hints");
            Set<String> kept = new java.util.HashSet<>();
            for (String name : names) {
                if (name != null && !name.isBlank()) {
                    kept.add(name);
                }
            }
            return Set.copyOf(kept);
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }
    }
}
