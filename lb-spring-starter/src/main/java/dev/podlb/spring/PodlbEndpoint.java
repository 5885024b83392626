package dev.podlb.spring;

import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/** {@code /actuator/podlb}: each service's target, host, counts, routing, and its pods with their state. */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "podlb")
public class PodlbEndpoint {
    private final PodlbServices services;

    public PodlbEndpoint(PodlbServices services) {
        this.services = services;
    }

    @ReadOperation
    public Map<String, Object> services() {
        Map<String, Object> all = new LinkedHashMap<>();
        services.loadBalancers().forEach((name, lb) -> all.put(name, describe(name, lb)));
        return Map.of("services", all);
    }

    /**
     * A service's counts, panic mode, last resolution error, and zone-aware routing (where this
     * client runs, the rule in force and why, the Service's trafficDistribution), as health and
     * this endpoint show them.
     */
    static Map<String, Object> details(LoadBalancer.Status status) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("known", status.known());
        details.put("ready", status.ready());
        details.put("terminating", status.terminating());
        details.put("ejected", status.ejected());
        details.put("pickable", status.pickable());
        details.put("panic", status.panic());
        if (status.lastResolutionError() != null) {
            details.put("lastResolutionError", String.valueOf(status.lastResolutionError().getMessage()));
        }
        details.put("locality", status.locality());
        details.put("routing", status.routing());
        details.put("routingReason", status.routingReason());
        if (status.trafficDistribution() != null) {
            details.put("trafficDistribution", status.trafficDistribution());
        }
        return details;
    }

    private Map<String, Object> describe(String name, LoadBalancer lb) {
        LoadBalancer.Status status = lb.status();
        Map<String, Object> service = new LinkedHashMap<>();
        service.put("host", services.host(name));
        service.put("target", services.target(name));
        service.put("resolved", status.resolved());
        service.put("version", status.version());
        service.putAll(details(status));
        List<Map<String, Object>> pods = new ArrayList<>();
        for (Endpoint e : lb.endpoints().endpoints()) {
            Map<String, Object> pod = new LinkedHashMap<>();
            pod.put("address", e.authority());
            e.podName().ifPresent(n -> pod.put("pod", n));
            e.nodeName().ifPresent(n -> pod.put("node", n));
            e.zone().ifPresent(z -> pod.put("zone", z));
            if (!e.zoneHints().isEmpty()) {
                pod.put("zoneHints", e.zoneHints());
            }
            if (!e.nodeHints().isEmpty()) {
                pod.put("nodeHints", e.nodeHints());
            }
            pod.put("readiness", e.readiness().name().toLowerCase(java.util.Locale.ROOT));
            pod.put("ejected", lb.isEjected(e));
            pods.add(pod);
        }
        service.put("pods", pods);
        service.put("loadBalancer", lb.toString());
        return service;
    }
}
