package dev.podlb.core.discovery.dns;

import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.TextParseException;

/**
 * The names a host name is asked as, in order, as resolv.conf's {@code search} and {@code ndots}
 * expand it, with one shortcut: a name already under one of the search domains, or under
 * {@code svc.cluster.local}, is asked as it is. A pod's resolv.conf has {@code ndots:5}, under
 * which {@code backend.default.svc.cluster.local} would first be tried under each search domain
 * ({@code backend.default.svc.cluster.local.default.svc.cluster.local}, …), three answers of
 * NXDOMAIN per record type and refresh that only load CoreDNS.
 */
final class SearchList {
    private static final Name KUBERNETES_SERVICES = name("svc.cluster.local.");

    private final List<Name> domains;
    private final int ndots;

    SearchList(List<String> domains, int ndots) {
        this.domains = new ArrayList<>();
        for (String domain : domains) {
            try {
                this.domains.add(Name.fromString(domain, Name.root));
            } catch (TextParseException e) {
                throw new IllegalArgumentException("DNS search domain \"" + domain + "\" is not a valid name: "
                        + e.getMessage(), e);
            }
        }
        this.ndots = ndots;
    }

    /**
     * The absolute names to ask, first to last, until one exists (see {@link DnsLookups#lookupAtOneName}).
     *
     * @throws TextParseException when {@code host} is not a valid name
     */
    List<Name> candidates(String host) throws TextParseException {
        Name name = Name.fromString(host);
        if (name.isAbsolute()) {
            return List.of(name);
        }
        Name absolute = concatenate(name, Name.root);
        if (absolute != null && isUnderAKnownDomain(absolute)) {
            return List.of(absolute);
        }
        List<Name> names = new ArrayList<>();
        for (Name domain : domains) {
            Name expanded = concatenate(name, domain);
            if (expanded != null) {
                names.add(expanded);
            }
        }
        if (absolute != null) {
            // As glibc and dnsjava do: a name with at least ndots dots is tried as it is first.
            names.add(name.labels() > ndots ? 0 : names.size(), absolute);
        }
        return names;
    }

    private boolean isUnderAKnownDomain(Name absolute) {
        if (isStrictlyUnder(absolute, KUBERNETES_SERVICES)) {
            return true;
        }
        for (Name domain : domains) {
            if (isStrictlyUnder(absolute, domain)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isStrictlyUnder(Name name, Name domain) {
        return name.labels() > domain.labels() && name.subdomain(domain);
    }

    private static Name concatenate(Name name, Name suffix) {
        try {
            return Name.concatenate(name, suffix);
        } catch (NameTooLongException tooLong) {
            return null;
        }
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text);
        } catch (TextParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "search " + domains + ", ndots " + ndots;
    }
}
