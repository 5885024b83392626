package dev.podlb.spring;

import static dev.podlb.spring.PodlbConfigurationException.check;

import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.util.List;
import java.util.Map;

/** A service's {@code topology.*} settings as lb-core's {@link TopologyPolicy}. */
final class ServiceTopology {
    private ServiceTopology() {}

    /** Where this client runs for the service: the zone and node set, else those of PODLB_ZONE and PODLB_NODE. */
    static Locality locality(PodlbProperties.Topology topology) {
        Locality environment = Locality.fromEnvironment();
        return Locality.of(topology.getZone() != null ? topology.getZone() : environment.zone().orElse(null),
                topology.getNode() != null ? topology.getNode() : environment.node().orElse(null));
    }

    /**
     * The policy of the service's settings under {@code prefix} ({@code podlb.services.<name>.topology}).
     *
     * @throws PodlbConfigurationException naming the setting that is wrong
     */
    static TopologyPolicy policy(String prefix, PodlbProperties.Topology topology) {
        TopologyPolicy.Builder builder = TopologyPolicy.builder().locality(locality(topology))
                .spillOver(topology.isSpillOver()).spillOverThreshold(topology.getSpillOverThreshold());
        if (topology.isPreferSameZone()) {
            builder.preferSameZone();
        }
        for (Map.Entry<String, List<String>> zone : topology.getZonesByAddress().entrySet()) {
            String property = prefix + ".zones-by-address." + zone.getKey();
            for (String cidr : zone.getValue()) {
                check(property, cidr, () -> builder.zoneByAddress(cidr, zone.getKey()));
            }
        }
        return check(prefix + ".spill-over-threshold", topology.getSpillOverThreshold(), builder::build);
    }
}
