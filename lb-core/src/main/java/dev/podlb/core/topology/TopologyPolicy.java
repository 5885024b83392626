package dev.podlb.core.topology;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.AddressRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a load balancer keeps calls close to the client: Kubernetes' topology rules, applied as
 * kube-proxy applies them, and spill-over when the local pods run short.
 *
 * <ul>
 * <li><b>The rules</b> ({@code pkg/proxy/topology.go}): only ready endpoints count. Node hints
 *     ({@code hints.forNodes}, {@code trafficDistribution: PreferSameNode}) are used when every
 *     ready endpoint has one and one names this client's node; else zone hints
 *     ({@code hints.forZones}: topology-aware routing, {@code PreferClose}, {@code PreferSameZone})
 *     under the same all-or-nothing rule; else the whole service. Terminating endpoints, used only
 *     when nothing is ready, are used whatever their zone.</li>
 * <li><b>Spill-over</b>, beyond kube-proxy, which keeps every call in the zone however few pods are
 *     left there: while the local pods' share of the healthy (ready, not ejected) pods is at least
 *     their expected share (the local share of all hinted pods, ready or not) × the threshold,
 *     every call stays local; below it, the local pods take local-share ÷ expected-share of the
 *     calls and the rest spread over the other zones' healthy pods, so that no local pod carries
 *     more than a remote one (Envoy's zone-aware routing is the reference). Under node hints the
 *     node is the local place and keeps its share as a zone would; what it spills goes to its zone
 *     first: all of it to the zone's pods off the node while they are at least their expected share
 *     of the pods off the node (the same test, one step out); when they are fewer, the zone is short
 *     too, and they take their healthy share ÷ expected share of the node's spill, the other zones
 *     the rest. So the node's pods keep their preference over the zone's, and the zone's over the
 *     other zones': the order node, zone, cluster holds at every step.
 *     {@link Builder#spillOver spillOver(false)} keeps every call on the node, or in the zone, as
 *     kube-proxy does.</li>
 * </ul>
 *
 * <p>Without hints nothing changes: the whole service is used. Over DNS, which has no hints,
 * {@link Builder#preferSameZone()} treats each endpoint's zone as its hint, and
 * {@link Builder#zoneByAddress} gives endpoints their zone from their address.
 *
 * <pre>{@code
 * TopologyPolicy.builder().locality(Locality.of("a", null)).spillOverThreshold(0.8).build();
 * TopologyPolicy.builder().zoneByAddress("10.1.0.0/16", "a").zoneByAddress("10.2.0.0/16", "b").build(); // DNS
 * }</pre>
 */
public final class TopologyPolicy {
    private static final TopologyPolicy DISABLED = builder().locality(Locality.unknown()).build();

    private final Locality locality;
    private final boolean preferSameZone;
    private final boolean spillOver;
    private final double spillOverThreshold;
    private final List<AddressRange> ranges;

    private TopologyPolicy(Builder b) {
        this.locality = b.locality != null ? b.locality : Locality.fromEnvironment();
        this.preferSameZone = b.preferSameZone || !b.ranges.isEmpty();
        this.spillOver = b.spillOver;
        this.spillOverThreshold = b.spillOverThreshold;
        this.ranges = List.copyOf(b.ranges);
    }

    /** The client's place from {@link Locality#fromEnvironment()}; hints followed; spill-over at threshold 1. */
    public static TopologyPolicy defaults() {
        return builder().build();
    }

    /** The whole service, always: no topology. */
    public static TopologyPolicy disabled() {
        return DISABLED;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Locality locality() {
        return locality;
    }

    /** Whether an endpoint without zone hints counts as hinted for its own zone. */
    public boolean preferSameZone() {
        return preferSameZone;
    }

    public boolean spillOver() {
        return spillOver;
    }

    public double spillOverThreshold() {
        return spillOverThreshold;
    }

    /** {@code endpoint} with its zone from the configured address ranges when discovery gave none; else itself. */
    public Endpoint withZone(Endpoint endpoint) {
        if (ranges.isEmpty() || endpoint.zone().isPresent()) {
            return endpoint;
        }
        for (AddressRange range : ranges) {
            if (range.contains(endpoint.address())) {
                return endpoint.toBuilder().zone(range.label()).build();
            }
        }
        return endpoint;
    }

    /** Whether {@link #withZone} changes anything. */
    public boolean assignsZones() {
        return !ranges.isEmpty();
    }

    @Override
    public String toString() {
        return "TopologyPolicy{" + locality + (preferSameZone ? ", same zone preferred" : "")
                + (spillOver ? ", spill-over below " + spillOverThreshold + " of the expected share" : ", no spill-over")
                + (ranges.isEmpty() ? "" : ", zones by address " + ranges) + "}";
    }

    /** Builds a {@link TopologyPolicy}; {@link #build()} checks every setting. */
    public static final class Builder {
        private Locality locality;
        private boolean preferSameZone;
        private boolean spillOver = true;
        private double spillOverThreshold = 1.0;
        private final List<AddressRange> ranges = new ArrayList<>();

        private Builder() {}

        /** Where this client runs. Default: {@link Locality#fromEnvironment()}. */
        public Builder locality(Locality locality) {
            this.locality = Objects.requireNonNull(locality, "locality");
            return this;
        }

        /**
         * An endpoint without zone hints counts as hinted for its own zone: same-zone routing for
         * clusters without topology-aware hints, and for DNS targets whose endpoints get a zone.
         */
        public Builder preferSameZone() {
            this.preferSameZone = true;
            return this;
        }

        /**
         * Whether calls spill out of the client's node or zone when the local pods run short (from a
         * node, to its zone first). Default true; false follows kube-proxy, which keeps every call
         * local while one local pod is ready.
         */
        public Builder spillOver(boolean spillOver) {
            this.spillOver = spillOver;
            return this;
        }

        /**
         * Calls spill once the local pods' healthy share falls below this fraction (over 0, at most
         * 1) of their expected share. Default 1: any shortfall spills its share, which keeps every
         * pod's load alike; lower values keep more in the zone, at the cost of the local pods.
         */
        public Builder spillOverThreshold(double threshold) {
            this.spillOverThreshold = threshold;
            return this;
        }

        /**
         * Endpoints in {@code cidr} ({@code 10.1.0.0/16}, {@code fd00:1::/64}) are in {@code zone}
         * when discovery says nothing of their zone (DNS); implies {@link #preferSameZone()}.
         */
        public Builder zoneByAddress(String cidr, String zone) {
            if (zone == null || zone.isBlank()) {
                throw new IllegalArgumentException("zone of address range " + cidr + " is "
                        + (zone == null ? "null" : "blank") + "; expected a zone name such as eu-west-1a");
            }
            ranges.add(AddressRange.parse(cidr, zone.strip()));
            return this;
        }

        public TopologyPolicy build() {
            if (!(spillOverThreshold > 0 && spillOverThreshold <= 1)) {
                throw new IllegalArgumentException("topology spillOverThreshold is " + spillOverThreshold
                        + "; expected more than 0 and at most 1, such as 1 (the default) or 0.8");
            }
            return new TopologyPolicy(this);
        }
    }
}
