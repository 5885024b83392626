package dev.podlb.spring;

import static dev.podlb.spring.PodlbConfigurationException.check;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.DnsSettings;
import dev.podlb.okhttp.CallListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ResourceLoader;

/**
 * podlb's core: the {@link Discovery} that resolves targets (with {@code podlb.dns.*}), and
 * {@link PodlbServices} — a load balancer per service of {@code podlb.services}, and the
 * interceptor that applies them.
 */
@AutoConfiguration(after = PodlbKubernetesAutoConfiguration.class)
@EnableConfigurationProperties(PodlbProperties.class)
public class PodlbAutoConfiguration {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    Discovery podlbDiscovery(PodlbProperties properties,
                             ObjectProvider<PodlbKubernetesAutoConfiguration.KubernetesResolvers> kubernetes) {
        Discovery.Builder builder = Discovery.builder();
        if (properties.getDns().isSet()) {
            builder.dns(dnsSettings(properties.getDns()));
        }
        PodlbKubernetesAutoConfiguration.KubernetesResolvers resolvers = kubernetes.getIfAvailable();
        if (resolvers != null && resolvers.factory() != null) {
            builder.kubernetes(resolvers.factory());
        }
        return builder.build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    PodlbServices podlbServices(PodlbProperties properties, Discovery discovery, ObjectProvider<CallListener> listeners,
                                ResourceLoader resourceLoader) {
        return new PodlbServices(properties, discovery, listeners.orderedStream().collect(Collectors.toList()),
                resourceLoader.getClassLoader());
    }

    /** resolv.conf's settings with those of {@code podlb.dns} that are set, each checked against its property. */
    static DnsSettings dnsSettings(PodlbProperties.Dns dns) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (int i = 0; i < dns.getServers().size(); i++) {
            String server = dns.getServers().get(i);
            servers.add(check("podlb.dns.servers[" + i + "]", server, () -> server(server)));
        }
        if (dns.getSearchDomains() != null) {
            check("podlb.dns.search-domains", dns.getSearchDomains(), () -> alone().searchDomains(dns.getSearchDomains()).build());
        }
        if (dns.getNdots() != null) {
            check("podlb.dns.ndots", dns.getNdots(), () -> alone().ndots(dns.getNdots()).build());
        }
        if (dns.getQueryTimeout() != null) {
            check("podlb.dns.query-timeout", dns.getQueryTimeout(), () -> alone().queryTimeout(dns.getQueryTimeout()).build());
        }
        if (dns.getMaxStaleness() != null) {
            check("podlb.dns.max-staleness", dns.getMaxStaleness(), () -> alone().maxStaleness(dns.getMaxStaleness()).build());
        }
        PodlbProperties.Refresh refresh = dns.getRefresh();
        DnsSettings defaults = DnsSettings.system();
        Duration min = refresh.getMin() != null ? refresh.getMin() : defaults.minRefresh();
        Duration max = refresh.getMax() != null ? refresh.getMax() : defaults.maxRefresh();
        if (refresh.getMin() != null) {
            check("podlb.dns.refresh.min", min, () -> alone().refresh(min, min).build());
        }
        if (refresh.getMax() != null) {
            check("podlb.dns.refresh.max", max, () -> alone().refresh(max, max).build());
        }
        // Every setting passed alone: what is left to refuse is a refresh min above its max.
        return check(refresh.getMax() != null ? "podlb.dns.refresh.max" : "podlb.dns.refresh.min",
                refresh.getMax() != null ? max : min, () -> {
            DnsSettings.Builder builder = DnsSettings.builder().refresh(min, max);
            if (!servers.isEmpty()) {
                builder.servers(servers);
            }
            if (dns.getSearchDomains() != null) {
                builder.searchDomains(dns.getSearchDomains());
            }
            if (dns.getNdots() != null) {
                builder.ndots(dns.getNdots());
            }
            if (dns.getIpFamily() != null) {
                builder.ipFamily(dns.getIpFamily());
            }
            if (dns.getQueryTimeout() != null) {
                builder.queryTimeout(dns.getQueryTimeout());
            }
            if (dns.getMaxStaleness() != null) {
                builder.maxStaleness(dns.getMaxStaleness());
            }
            return builder.build();
        });
    }

    /** A builder whose other settings pass, whatever resolv.conf holds, to check one setting alone. */
    private static DnsSettings.Builder alone() {
        return DnsSettings.builder().server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
    }

    /** A DNS server as ip, ip:port or [ipv6]:port; a literal address only, since naming it would need DNS itself. */
    static InetSocketAddress server(String server) {
        String host = server;
        int port = 53;
        int colon = server.lastIndexOf(':');
        if (server.startsWith("[") && server.contains("]")) {
            host = server.substring(1, server.indexOf(']'));
            String rest = server.substring(server.indexOf(']') + 1);
            port = rest.isEmpty() ? 53 : rest.startsWith(":") ? parsePort(rest.substring(1)) : -1;
        } else if (colon >= 0 && server.indexOf(':') == colon) {
            host = server.substring(0, colon);
            port = parsePort(server.substring(colon + 1));
        }
        boolean literal = host.contains(":") ? host.matches("[0-9A-Fa-f:.]+") : host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal || port < 1 || port > 65535) {
            throw new IllegalArgumentException("DNS server " + server + " is not an IP address with an optional port;"
                    + " expected ip, ip:port or [ipv6]:port, such as 10.96.0.10 or 127.0.0.1:5353");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("DNS server " + server + " is not an IP address; expected ip, ip:port or"
                    + " [ipv6]:port, such as 127.0.0.1:5353", e);
        }
    }

    private static int parsePort(String port) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
