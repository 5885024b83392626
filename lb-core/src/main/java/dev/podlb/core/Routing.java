package dev.podlb.core;

import dev.podlb.core.pick.Picker;
import dev.podlb.core.topology.Locality;
import dev.podlb.core.topology.TopologyPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Where a load balancer's calls go by topology: which healthy candidates are local (same node or
 * zone, by Kubernetes' rules) and what share of the calls they take. Computed on the serial
 * context for every state; immutable.
 *
 * <p>The rule follows kube-proxy's {@code topologyModeFromHints} and {@code CategorizeEndpoints}:
 * only ready endpoints count; node hints are used when every ready endpoint has one and one names
 * this node, else zone hints under the same all-or-nothing rule, else the whole service; with no
 * endpoint ready, the terminating ones serve wherever they are. Spill-over, beyond kube-proxy, is
 * described in {@link TopologyPolicy}: from a node it goes to the node's zone first, and only the
 * zone's own shortfall goes on to the other zones, so calls are split three ways: the local pods,
 * the near ones (the rest of the node's zone) and the remote ones.
 */
final class Routing {
    /** The rule in force. */
    public enum Rule { CLUSTER, ZONE, NODE }

    private static final int SCALE = 1 << 16;

    private final Rule rule;
    private final String place;
    /** Under {@link Rule#NODE}, the node's zone when the client's zone is known; else null. */
    private final String zone;
    private final String reason;
    private final List<Endpoint> local;
    private final List<Endpoint> near;
    private final List<Endpoint> remote;
    private final double localShare;
    private final double nearShare;

    private Routing(Rule rule, String place, String zone, String reason, List<Endpoint> local, List<Endpoint> near,
                    List<Endpoint> remote, double localShare, double nearShare) {
        this.rule = rule;
        this.place = place;
        this.zone = zone;
        this.reason = reason;
        this.local = local;
        this.near = near;
        this.remote = remote;
        this.localShare = localShare;
        this.nearShare = nearShare;
    }

    /** Two sides: {@code localShare} of the calls to {@code local}, the rest to {@code remote}. */
    private Routing(Rule rule, String place, String reason, List<Endpoint> local, List<Endpoint> remote,
                    double localShare) {
        this(rule, place, null, reason, local, List.of(), remote, localShare, 0);
    }

    /** Every healthy candidate, for {@code reason}. */
    public static Routing cluster(List<Endpoint> healthy, String reason) {
        return new Routing(Rule.CLUSTER, null, reason, healthy, List.of(), 1);
    }

    /**
     * The routing of a state.
     *
     * @param set        what discovery returned (for the expected local share: hinted endpoints in any state)
     * @param candidates the ready endpoints, or when none is ready the terminating ones
     * @param healthy    the candidates not ejected, never empty
     */
    public static Routing of(TopologyPolicy policy, EndpointSet set, List<Endpoint> candidates, List<Endpoint> healthy) {
        Locality here = policy.locality();
        if (here.isUnknown()) {
            return cluster(healthy, "the client's zone and node are unknown (" + Locality.ZONE_VARIABLE + ", "
                    + Locality.NODE_VARIABLE + ")");
        }
        if (set.readyCount() == 0) {
            return cluster(healthy, "no endpoint is ready: the terminating ones serve, wherever they are");
        }
        Function<Endpoint, Set<String>> zoneHints = e -> !e.zoneHints().isEmpty() || !policy.preferSameZone()
                || e.zone().isEmpty() ? e.zoneHints() : Set.of(e.zone().get());
        String node = here.node().orElse(null);
        String zone = here.zone().orElse(null);
        if (node != null && allHinted(candidates, Endpoint::nodeHints) && anyHintedFor(candidates, Endpoint::nodeHints, node)) {
            Routing onNode = local(Rule.NODE, node, policy, set, candidates, healthy, Endpoint::nodeHints);
            return zone != null ? withZone(onNode, zone, policy, set, healthy, zoneHints) : onNode;
        }
        if (zone != null && allHinted(candidates, zoneHints) && anyHintedFor(candidates, zoneHints, zone)) {
            return local(Rule.ZONE, zone, policy, set, candidates, healthy, zoneHints);
        }
        return cluster(healthy, whyNoZone(candidates, zoneHints, zone));
    }

    private static String whyNoZone(List<Endpoint> candidates, Function<Endpoint, Set<String>> hints, String zone) {
        int unhinted = 0;
        for (Endpoint e : candidates) {
            if (hints.apply(e).isEmpty()) {
                unhinted++;
            }
        }
        if (unhinted == candidates.size()) {
            return "no ready endpoint has a zone hint";
        }
        if (unhinted > 0) {
            return unhinted + " of " + candidates.size() + " ready endpoints have no zone hint (hints are used only"
                    + " when every ready endpoint has one)";
        }
        return zone == null ? "the client's zone is unknown (" + Locality.ZONE_VARIABLE + ")"
                : "no ready endpoint is hinted for zone " + zone;
    }

    private static boolean allHinted(List<Endpoint> candidates, Function<Endpoint, Set<String>> hints) {
        for (Endpoint e : candidates) {
            if (hints.apply(e).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static boolean anyHintedFor(List<Endpoint> endpoints, Function<Endpoint, Set<String>> hints, String place) {
        for (Endpoint e : endpoints) {
            if (hints.apply(e).contains(place)) {
                return true;
            }
        }
        return false;
    }

    private static Routing local(Rule rule, String place, TopologyPolicy policy, EndpointSet set,
                                 List<Endpoint> candidates, List<Endpoint> healthy,
                                 Function<Endpoint, Set<String>> hints) {
        List<Endpoint> healthyLocal = new ArrayList<>();
        List<Endpoint> healthyRemote = new ArrayList<>();
        for (Endpoint e : healthy) {
            (hints.apply(e).contains(place) ? healthyLocal : healthyRemote).add(e);
        }
        String where = rule.name().toLowerCase(Locale.ROOT) + " " + place;
        if (!policy.spillOver()) {
            if (healthyLocal.isEmpty()) {
                List<Endpoint> localCandidates = new ArrayList<>();
                for (Endpoint e : candidates) {
                    if (hints.apply(e).contains(place)) {
                        localCandidates.add(e);
                    }
                }
                return new Routing(rule, place, "every endpoint hinted for " + where + " is ejected and spill-over is"
                        + " off: the ejected ones serve", localCandidates, List.of(), 1);
            }
            return new Routing(rule, place, "every ready endpoint is hinted; " + healthyLocal.size() + " for " + where,
                    healthyLocal, List.of(), 1);
        }
        int hinted = 0;
        int hintedHere = 0;
        for (Endpoint e : set.endpoints()) {
            Set<String> h = hints.apply(e);
            if (!h.isEmpty()) {
                hinted++;
                if (h.contains(place)) {
                    hintedHere++;
                }
            }
        }
        double expected = hinted == 0 ? 1 : (double) hintedHere / hinted;
        double share = (double) healthyLocal.size() / healthy.size();
        if (healthyRemote.isEmpty() || share >= expected * policy.spillOverThreshold()) {
            return new Routing(rule, place, String.format(Locale.ROOT, "%d healthy endpoints for %s carry their share"
                    + " (%.0f%% of healthy, %.0f%% expected)", healthyLocal.size(), where, share * 100, expected * 100),
                    healthyLocal, List.of(), 1);
        }
        double localShare = healthyLocal.isEmpty() ? 0 : share / expected;
        return new Routing(rule, place, String.format(Locale.ROOT, "%s is short: %d healthy endpoints are %.0f%% of"
                        + " the healthy, against %.0f%% expected; %.0f%% of calls spill to %d endpoints elsewhere",
                where, healthyLocal.size(), share * 100, expected * 100, (1 - localShare) * 100, healthyRemote.size()),
                healthyLocal, healthyRemote, localShare);
    }

    /**
     * {@code onNode} with the rest of the node's zone as its near side: the zone's healthy endpoints
     * off the node, where a retry goes after the node's and where the node's spill goes first. The
     * node keeps its own share whatever the state of its zone. The zone's pods off the node take all
     * of the node's spill while they are at least their expected share of the pods off the node (the
     * node's test, one step out); when they are fewer, the zone is short as well, and they take their
     * healthy share ÷ expected share of the node's spill, the other zones the rest: only the zone's
     * shortfall leaves it. With no other healthy pod in the zone, all of the node's spill leaves the
     * zone; with none outside it, the zone takes all.
     */
    private static Routing withZone(Routing onNode, String zone, TopologyPolicy policy, EndpointSet set,
                                    List<Endpoint> healthy, Function<Endpoint, Set<String>> zoneHints) {
        // Node hints come with zone hints from the EndpointSlice controller; without them, an endpoint's zone says.
        Function<Endpoint, Set<String>> inZone = e -> !zoneHints.apply(e).isEmpty() ? zoneHints.apply(e)
                : e.zone().map(Set::of).orElse(Set.of());
        String node = onNode.place;
        List<Endpoint> sameZone = new ArrayList<>();
        List<Endpoint> otherZones = new ArrayList<>();
        for (Endpoint e : healthy) {
            if (!e.nodeHints().contains(node)) {
                (inZone.apply(e).contains(zone) ? sameZone : otherZones).add(e);
            }
        }
        if (!onNode.spills()) {
            return new Routing(Rule.NODE, node, zone, onNode.reason, onNode.local, List.copyOf(sameZone), List.of(),
                    onNode.localShare, 0);
        }
        double spilled = 1 - onNode.localShare;
        if (sameZone.isEmpty()) {
            return new Routing(Rule.NODE, node, zone, String.format(Locale.ROOT, "node %s is short; %.0f%% of calls"
                            + " spill to %d healthy endpoints in other zones, as zone %s has no other healthy endpoint",
                    node, spilled * 100, otherZones.size(), zone),
                    onNode.local, List.of(), List.copyOf(otherZones), onNode.localShare, 0);
        }
        if (otherZones.isEmpty()) {
            return new Routing(Rule.NODE, node, zone, String.format(Locale.ROOT, "node %s is short; %.0f%% of calls"
                            + " spill to the %d healthy endpoints of zone %s off the node, the only others",
                    node, spilled * 100, sameZone.size(), zone),
                    onNode.local, List.copyOf(sameZone), List.of(), onNode.localShare, spilled);
        }
        int offNode = 0;
        int offNodeInZone = 0;
        for (Endpoint e : set.endpoints()) {
            Set<String> nodes = e.nodeHints();
            if (!nodes.isEmpty() && !nodes.contains(node)) {
                offNode++;
                if (inZone.apply(e).contains(zone)) {
                    offNodeInZone++;
                }
            }
        }
        double expected = offNode == 0 ? 1 : (double) offNodeInZone / offNode;
        double share = (double) sameZone.size() / (sameZone.size() + otherZones.size());
        if (share >= expected * policy.spillOverThreshold()) {
            return new Routing(Rule.NODE, node, zone, String.format(Locale.ROOT, "node %s is short; %.0f%% of calls"
                            + " spill to the %d healthy endpoints of zone %s off the node, which carry their share (%.0f%%"
                            + " of those off the node, %.0f%% expected)", node, spilled * 100,
                    sameZone.size(), zone, share * 100, expected * 100),
                    onNode.local, List.copyOf(sameZone), List.of(), onNode.localShare, spilled);
        }
        // Below the threshold, share < expected: the zone keeps less than all of the spill.
        double nearShare = spilled * share / expected;
        return new Routing(Rule.NODE, node, zone, String.format(Locale.ROOT, "node %s is short; %.0f%% of calls"
                        + " spill: %.0f%% to the %d healthy endpoints of zone %s off the node, which are short too"
                        + " (%.0f%% of those off the node, %.0f%% expected), and %.0f%% to %d endpoints in other zones",
                node, spilled * 100, nearShare * 100, sameZone.size(), zone, share * 100, expected * 100,
                (spilled - nearShare) * 100, otherZones.size()),
                onNode.local, List.copyOf(sameZone), List.copyOf(otherZones), onNode.localShare, nearShare);
    }

    public Rule rule() {
        return rule;
    }

    /** The endpoints that take the local share; every healthy candidate under {@link Rule#CLUSTER}. Unmodifiable, as every list here. */
    public List<Endpoint> local() {
        return local;
    }

    /**
     * Under {@link Rule#NODE} with the client's zone known, the healthy endpoints of the node's zone
     * off the node: they take {@link #nearShare} of the calls, and a retry that finds no other pod
     * on the node goes to them before any other zone. Else empty.
     */
    public List<Endpoint> near() {
        return near;
    }

    /** The endpoints that take what spills beyond {@link #near}: other zones' (or any place's); empty when none. */
    public List<Endpoint> remote() {
        return remote;
    }

    /** The share of calls that stay local, 0 to 1. */
    public double localShare() {
        return localShare;
    }

    /** The share of all calls that goes to {@link #near}, 0 to 1; the rest beyond it goes to {@link #remote}. */
    public double nearShare() {
        return nearShare;
    }

    /** {@link #localShare} out of 65,536, for a draw of 16 random bits. */
    int localThreshold() {
        return (int) Math.round(localShare * SCALE);
    }

    /** {@link #localShare} + {@link #nearShare} out of 65,536: every draw is below it when nothing goes remote. */
    int nearThreshold() {
        if (remote.isEmpty()) {
            return SCALE;
        }
        return near.isEmpty() ? localThreshold() : (int) Math.round((localShare + nearShare) * SCALE);
    }

    /** Whether some calls go elsewhere than {@link #local}: to {@link #near} or {@link #remote}. */
    public boolean spills() {
        return (!near.isEmpty() || !remote.isEmpty()) && localShare < 1;
    }

    /**
     * A picker sending {@link #localShare} of the calls to {@code localPicker}, {@link #nearShare} to
     * {@code nearPicker} and the rest to {@code remotePicker}. A picker is null exactly when its side
     * has no endpoint, which gets no call; when one side alone is left, its picker is returned as is.
     */
    public Picker split(Picker localPicker, Picker nearPicker, Picker remotePicker) {
        if (nearPicker == null && remotePicker == null) {
            return localPicker;
        }
        if (localPicker == null && nearPicker == null) {
            return remotePicker;
        }
        if (localPicker == null && remotePicker == null) {
            return nearPicker;
        }
        return new ZoneSplitPicker(localPicker, nearPicker, remotePicker, localThreshold(), nearThreshold());
    }

    /** Why this rule is in force, for status and logs. */
    public String reason() {
        return reason;
    }

    /**
     * {@code zone a}, {@code zone a, 25% spilled}, {@code node n1}, {@code node n1, 33% spilled, 13%
     * out of zone a} (what leaves the node's zone named when some does) or {@code cluster}.
     */
    public String describe() {
        if (rule == Rule.CLUSTER) {
            return "cluster";
        }
        String where = rule.name().toLowerCase(Locale.ROOT) + " " + place;
        if (!spills()) {
            return where;
        }
        String spilled = String.format(Locale.ROOT, "%s, %.0f%% spilled", where, (1 - localShare) * 100);
        return zone == null || remote.isEmpty() ? spilled : String.format(Locale.ROOT, "%s, %.0f%% out of zone %s",
                spilled, (1 - localShare - nearShare) * 100, zone);
    }

    @Override
    public String toString() {
        return describe() + " (" + reason + ")";
    }
}
