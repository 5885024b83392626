package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.Endpoint;
import dev.podlb.core.Readiness;
import dev.podlb.core.internal.InetAddresses;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Service's EndpointSlices into endpoints, each slice once per resourceVersion: when one
 * slice of many changes, only that one is read again, and the others' endpoints are the same
 * objects as before. What cannot be used (an address type other than IPv4 or IPv6, a slice
 * without the target's port, an address that is not an IP) is left out and described.
 *
 * <p>Not thread-safe: the resolver reads one rebuild at a time, on its serial context.
 */
final class SliceEndpoints {
    private final KubernetesTarget target;
    private Map<String, Read> bySlice = new HashMap<>();

    SliceEndpoints(KubernetesTarget target) {
        this.target = target;
    }

    /** The endpoints of {@code slices}, all of the Service's slices now, in slice-name order. */
    Read read(List<EndpointSlice> slices) {
        List<EndpointSlice> sorted = new ArrayList<>(slices);
        sorted.sort(Comparator.comparing(SliceEndpoints::name));
        Map<String, Read> next = new HashMap<>();
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (EndpointSlice slice : sorted) {
            String name = name(slice);
            String version = slice.getMetadata() == null ? null : slice.getMetadata().getResourceVersion();
            Read known = bySlice.get(name);
            Read read = known != null && version != null && version.equals(known.version) ? known : readSlice(slice, version);
            next.put(name, read);
            endpoints.addAll(read.endpoints);
            skipped.addAll(read.skipped);
        }
        bySlice = next;
        return new Read(null, endpoints, skipped);
    }

    private static String name(EndpointSlice slice) {
        return slice.getMetadata() == null || slice.getMetadata().getName() == null ? "?" : slice.getMetadata().getName();
    }

    private Read readSlice(EndpointSlice slice, String version) {
        String sliceName = name(slice);
        String type = slice.getAddressType();
        if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
            return new Read(version, List.of(), List.of("slice " + sliceName + " has address type " + type
                    + " (expected IPv4 or IPv6)"));
        }
        int port = port(slice);
        if (port < 0) {
            return new Read(version, List.of(), List.of("slice " + sliceName + " has no port " + target.portText()
                    + " (it has " + ports(slice) + ")"));
        }
        if (slice.getEndpoints() == null) {
            return new Read(version, List.of(), List.of());
        }
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
            if (e == null || e.getAddresses() == null) {
                continue;
            }
            Readiness readiness = readiness(e.getConditions());
            String pod = e.getTargetRef() != null ? e.getTargetRef().getName() : e.getHostname();
            for (String address : e.getAddresses()) {
                InetAddress parsed = address == null ? null : InetAddresses.parseLiteral(address);
                if (parsed == null) {
                    skipped.add("slice " + sliceName + " address \"" + address + "\" is not an IP address");
                    continue;
                }
                try {
                    endpoints.add(Endpoint.builder(parsed, port)
                            .podName(pod)
                            .nodeName(e.getNodeName())
                            .zone(e.getZone())
                            .readiness(readiness)
                            .zoneHints(zoneHints(e.getHints()))
                            .nodeHints(nodeHints(e.getHints()))
                            .build());
                } catch (IllegalArgumentException bad) {
                    skipped.add("slice " + sliceName + " address \"" + address + "\": " + bad.getMessage());
                }
            }
        }
        return new Read(version, List.copyOf(endpoints), List.copyOf(skipped));
    }

    private static List<String> zoneHints(EndpointHints hints) {
        List<String> zones = new ArrayList<>();
        if (hints != null && hints.getForZones() != null) {
            for (ForZone zone : hints.getForZones()) {
                if (zone != null) {
                    zones.add(zone.getName());
                }
            }
        }
        return zones;
    }

    private static List<String> nodeHints(EndpointHints hints) {
        List<String> nodes = new ArrayList<>();
        if (hints != null && hints.getForNodes() != null) {
            for (ForNode node : hints.getForNodes()) {
                if (node != null) {
                    nodes.add(node.getName());
                }
            }
        }
        return nodes;
    }

    /**
     * The EndpointSlice conditions as kube-proxy reads them ({@code pkg/proxy/endpointslicecache.go}
     * and {@code topology.go}): an absent {@code ready} or {@code serving} means true, an absent
     * {@code terminating} false. Ready means ready, terminating or not: the EndpointSlice controller
     * writes {@code ready: true, terminating: true} for the terminating pods of a Service that
     * publishes not-ready addresses, and kube-proxy keeps them in rotation. A pod not ready but
     * serving and terminating is used only when nothing is ready; any other is never used.
     */
    static Readiness readiness(EndpointConditions conditions) {
        boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
        boolean serving = conditions == null || conditions.getServing() == null || conditions.getServing();
        boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
        if (ready) {
            return Readiness.READY;
        }
        return serving && terminating ? Readiness.TERMINATING : Readiness.NOT_READY;
    }

    private int port(EndpointSlice slice) {
        if (target.portName().isEmpty()) {
            return target.portNumber();
        }
        if (slice.getPorts() != null) {
            for (EndpointPort port : slice.getPorts()) {
                if (port != null && target.portName().get().equals(port.getName()) && port.getPort() != null) {
                    return port.getPort();
                }
            }
        }
        return -1;
    }

    private static String ports(EndpointSlice slice) {
        List<String> names = new ArrayList<>();
        if (slice.getPorts() != null) {
            for (EndpointPort port : slice.getPorts()) {
                if (port != null) {
                    names.add((port.getName() == null || port.getName().isEmpty() ? "(unnamed)" : port.getName()) + "="
                            + port.getPort());
                }
            }
        }
        return names.isEmpty() ? "no ports" : String.join(", ", names);
    }

    /** The endpoints read from one slice (with the resourceVersion read), or from all of them, and what was left out. */
    static final class Read {
        final String version;
        final List<Endpoint> endpoints;
        final List<String> skipped;

        Read(String version, List<Endpoint> endpoints, List<String> skipped) {
            this.version = version;
            this.endpoints = endpoints;
            this.skipped = skipped;
        }
    }
}
