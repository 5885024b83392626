package dev.podlb.spring;

import java.util.List;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/**
 * The application's health groups with one contributor (and its children) left out of the primary
 * group, the one {@code /actuator/health} shows; every other group, and the paths they add, stay
 * as configured.
 */
final class PodlbOutsideRootHealthGroups implements HealthEndpointGroups, AdditionalPathsMapper {
    private final HealthEndpointGroups groups;
    private final HealthEndpointGroup primary;

    PodlbOutsideRootHealthGroups(HealthEndpointGroups groups, String contributor) {
        this.groups = groups;
        this.primary = new Without(groups.getPrimary(), contributor);
    }

    @Override
    public HealthEndpointGroup getPrimary() {
        return primary;
    }

    @Override
    public Set<String> getNames() {
        return groups.getNames();
    }

    @Override
    public HealthEndpointGroup get(String name) {
        return groups.get(name);
    }

    @Override
    public HealthEndpointGroup get(AdditionalHealthEndpointPath path) {
        return groups.get(path);
    }

    @Override
    public Set<HealthEndpointGroup> getAllWithAdditionalPath(WebServerNamespace namespace) {
        return groups.getAllWithAdditionalPath(namespace);
    }

    @Override
    public List<String> getAdditionalPaths(EndpointId endpointId, WebServerNamespace webServerNamespace) {
        return groups instanceof AdditionalPathsMapper mapper ? mapper.getAdditionalPaths(endpointId, webServerNamespace)
                : null;
    }

    /** A group as the one given, without {@code contributor} and its children. */
    private static final class Without implements HealthEndpointGroup {
        private final HealthEndpointGroup group;
        private final String contributor;
        private final String children;

        Without(HealthEndpointGroup group, String contributor) {
            this.group = group;
            this.contributor = contributor;
            this.children = contributor + "/";
        }

        @Override
        public boolean isMember(String name) {
            return !name.equals(contributor) && !name.startsWith(children) && group.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return group.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return group.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return group.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return group.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return group.getAdditionalPath();
        }
    }
}
