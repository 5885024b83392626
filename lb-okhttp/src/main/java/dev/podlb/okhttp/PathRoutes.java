package dev.podlb.okhttp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Path rules for one logical host, with the semantics of a Kubernetes Ingress: requests to
 * {@code http://myapp/api/...} go to one service, {@code /ui/...} to another. Immutable once built.
 *
 * <pre>{@code
 * PathRoutes.builder("myapp")
 *      .prefix("/api", "backend.default.svc.cluster.local")   // /api, /api/, /api/v1 — not /apix
 *      .exact("/healthz", "backend.default.svc.cluster.local")
 *      .prefix("/ui", "frontend.default.svc.cluster.local")
 *      .defaultService("frontend.default.svc.cluster.local")  // else unmatched paths fail clearly
 *      .build()
 * }</pre>
 *
 * A {@code Prefix} path matches whole path elements; an {@code Exact} path matches only itself.
 * The longest matching path wins, and at equal length {@code Exact} wins over {@code Prefix}.
 * Services are named by the host of a {@link BalancedService} given to the same interceptor.
 */
public final class PathRoutes {
    /** How a rule's path matches, as in a Kubernetes Ingress. */
    public enum PathType { PREFIX, EXACT }

    final String host;
    final List<Rule> rules;
    final String defaultService;

    private PathRoutes(Builder b) {
        this.host = b.host;
        this.rules = List.copyOf(b.rules);
        this.defaultService = b.defaultService;
    }

    /** Starts the rules for requests to {@code host}: a host name, without a port. */
    public static Builder builder(String host) {
        return new Builder(host);
    }

    /** The host whose requests these rules route, lower case. */
    public String host() {
        return host;
    }

    /** The service for {@code path}, or {@code null} when nothing matches and there is no default. */
    String serviceFor(String path) {
        Rule best = null;
        for (Rule rule : rules) {
            if (rule.matches(path) && (best == null || rule.betterThan(best))) {
                best = rule;
            }
        }
        return best != null ? best.service : defaultService;
    }

    /** Every service the rules send requests to. */
    List<String> services() {
        List<String> named = new ArrayList<>();
        rules.forEach(rule -> named.add(rule.service));
        if (defaultService != null) {
            named.add(defaultService);
        }
        return named;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("host ").append(host).append(" routes ");
        for (int i = 0; i < rules.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(rules.get(i));
        }
        return s.append(defaultService != null ? ", anything else -> " + defaultService : "").toString();
    }

    /** Builds {@link PathRoutes}; each setting is checked as it is given. */
    public static final class Builder {
        private final String host;
        private final List<Rule> rules = new ArrayList<>();
        private String defaultService;

        private Builder(String host) {
            String name = Names.require("route host", host).toLowerCase(Locale.ROOT);
            if (name.contains(":") || name.contains("/")) {
                throw new IllegalArgumentException("route host \"" + host + "\" is not a host name; expected a name"
                        + " without port or path, such as myapp (routes match the request's host whatever its port)");
            }
            this.host = name;
        }

        /** Paths under {@code path}, by whole path elements, go to {@code service}. */
        public Builder prefix(String path, String service) {
            return add(PathType.PREFIX, path, service);
        }

        /** Exactly {@code path} goes to {@code service}. */
        public Builder exact(String path, String service) {
            return add(PathType.EXACT, path, service);
        }

        /** Where paths no rule matches go. Default: they fail with {@link NoRouteException}. */
        public Builder defaultService(String service) {
            this.defaultService = Names.require("default service of route " + host, service).toLowerCase(Locale.ROOT);
            return this;
        }

        private Builder add(PathType type, String path, String service) {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("route " + host + ": path \"" + path + "\" does not start with /;"
                        + " expected an absolute path such as /api");
            }
            rules.add(new Rule(type, path, Names.require("service of route " + host + " " + path, service)
                    .toLowerCase(Locale.ROOT)));
            return this;
        }

        public PathRoutes build() {
            if (rules.isEmpty() && defaultService == null) {
                throw new IllegalArgumentException("route " + host + " has no path and no default service; expected"
                        + " at least one, such as .prefix(\"/api\", \"backend.default.svc.cluster.local\")");
            }
            return new PathRoutes(this);
        }
    }

    static final class Rule {
        final PathType type;
        final String path;
        final String service;
        private final String trimmed;

        Rule(PathType type, String path, String service) {
            this.type = type;
            this.path = path;
            this.service = service;
            this.trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        }

        boolean matches(String requestPath) {
            if (type == PathType.EXACT) {
                return requestPath.equals(path);
            }
            if (trimmed.equals("/")) {
                return true;
            }
            return requestPath.startsWith(trimmed)
                    && (requestPath.length() == trimmed.length() || requestPath.charAt(trimmed.length()) == '/');
        }

        boolean betterThan(Rule other) {
            if (trimmed.length() != other.trimmed.length()) {
                return trimmed.length() > other.trimmed.length();
            }
            return type == PathType.EXACT && other.type == PathType.PREFIX;
        }

        @Override
        public String toString() {
            return path + " (" + (type == PathType.EXACT ? "Exact" : "Prefix") + ") -> " + service;
        }
    }
}
