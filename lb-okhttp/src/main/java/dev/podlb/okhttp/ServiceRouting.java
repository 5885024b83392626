package dev.podlb.okhttp;

import java.util.Collection;
import java.util.Map;
import okhttp3.Request;

/** Which balanced service a request's host names: a service's own host, or a route's path rules. */
final class ServiceRouting {
    private final Map<String, Balanced> byHost;
    private final Map<String, PathRoutes> routes;

    ServiceRouting(Map<String, Balanced> byHost, Map<String, PathRoutes> routes) {
        this.byHost = Map.copyOf(byHost);
        this.routes = Map.copyOf(routes);
    }

    /**
     * The service for {@code request}, or {@code null} when its host is neither balanced nor routed.
     *
     * @throws NoRouteException when the host is routed and no rule matches its path
     */
    Balanced serviceFor(Request request) throws NoRouteException {
        String host = request.url().host();
        Balanced balanced = byHost.get(host);
        if (balanced != null) {
            return balanced;
        }
        PathRoutes route = routes.get(host);
        if (route == null) {
            return null;
        }
        String service = route.serviceFor(request.url().encodedPath());
        if (service == null) {
            throw new NoRouteException("no route for " + request.method() + " " + request.url().encodedPath() + ": "
                    + route + "; expected a matching path, or a default service for the route");
        }
        return byHost.get(service);
    }

    /** The service whose own host is {@code host}, or {@code null}. */
    Balanced byHost(String host) {
        return byHost.get(host);
    }

    Collection<Balanced> services() {
        return byHost.values();
    }

    @Override
    public String toString() {
        return byHost.keySet() + (routes.isEmpty() ? "" : " routes " + routes.keySet());
    }
}
