package dev.podlb.core;

import dev.podlb.core.internal.InetAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable snapshot of one service's endpoints, as a resolver saw them, with a version.
 *
 * <p>Endpoints are kept in a fixed order (by address, then port), whatever order discovery gave, so
 * two sets with the same endpoints are equal and every client replica sees the same list. The
 * version orders snapshots from one resolver; it is not part of a set's value, so a re-published
 * set equal to the current one is recognised and dropped.
 *
 * <pre>{@code
 * EndpointSet set = EndpointSet.of(1, List.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080)));
 * set.lookup("10.0.0.2:8080");   // [10.0.0.2:8080 (READY)]
 * }</pre>
 */
public final class EndpointSet {
    private static final Comparator<Endpoint> BY_IDENTITY = EndpointSet::compareIdentity;
    private static final EndpointSet EMPTY = new EndpointSet(0, List.of(), null);

    private final long version;
    private final List<Endpoint> endpoints;
    private final Map<InetSocketAddress, Endpoint> byAddress;
    /**
     * The endpoints by pod name, built when first needed: by the serial context for each set once
     * a request has been pinned ({@link #indexPodNames}), else by the first {@link #lookup} of a
     * reference without a colon. Most services never pin, and their sets never build it.
     */
    private volatile Map<String, List<Endpoint>> byPodName;
    private final int ready;
    private final int terminating;
    /** The readiness of the endpoints calls may go to: ready, or, with none ready, terminating. */
    private final Readiness candidateReadiness;
    private final List<Endpoint> candidates;
    private final String trafficDistribution;

    private EndpointSet(long version, List<Endpoint> endpoints, String trafficDistribution) {
        this.version = version;
        this.endpoints = endpoints;
        this.trafficDistribution = trafficDistribution;
        this.byAddress = new HashMap<>(endpoints.size() * 2);
        int readyCount = 0;
        int terminatingCount = 0;
        for (Endpoint e : endpoints) {
            byAddress.put(e.socketAddress(), e);
            if (e.readiness() == Readiness.READY) {
                readyCount++;
            } else if (e.readiness() == Readiness.TERMINATING) {
                terminatingCount++;
            }
        }
        this.ready = readyCount;
        this.terminating = terminatingCount;
        this.candidateReadiness = readyCount > 0 ? Readiness.READY : Readiness.TERMINATING;
        List<Endpoint> wanted = new ArrayList<>(readyCount > 0 ? readyCount : terminatingCount);
        for (Endpoint e : endpoints) {
            if (e.readiness() == candidateReadiness) {
                wanted.add(e);
            }
        }
        this.candidates = List.copyOf(wanted);
    }

    /** {@code same}'s endpoints, and what was derived from them, under another version or traffic distribution. */
    private EndpointSet(EndpointSet same, long version, String trafficDistribution) {
        this.version = version;
        this.endpoints = same.endpoints;
        this.trafficDistribution = trafficDistribution;
        this.byAddress = same.byAddress;
        this.byPodName = same.byPodName;
        this.ready = same.ready;
        this.terminating = same.terminating;
        this.candidateReadiness = same.candidateReadiness;
        this.candidates = same.candidates;
    }

    /** The set with no endpoint, version 0. */
    public static EndpointSet empty() {
        return EMPTY;
    }

    /**
     * A set of these endpoints. Two endpoints with the same address and port are one pod: the
     * readier of the two is kept (ready over terminating over not ready), then the first given.
     */
    public static EndpointSet of(long version, Collection<Endpoint> endpoints) {
        Endpoint[] given = endpoints.toArray(new Endpoint[0]);
        boolean allIpv4 = given.length <= 1 << 16;
        for (Endpoint e : given) {
            Objects.requireNonNull(e, "an endpoint in the set is null");
            allIpv4 &= e.address() instanceof Inet4Address;
        }
        return new EndpointSet(version, List.of(allIpv4 ? ipv4Sorted(given) : sorted(given)), null);
    }

    /** {@code given} by address, then port, one endpoint of each (see {@link #of(long, Collection)}). */
    private static Endpoint[] sorted(Endpoint[] given) {
        Map<InetSocketAddress, Endpoint> unique = new LinkedHashMap<>(given.length * 2);
        for (Endpoint e : given) {
            unique.merge(e.socketAddress(), e, EndpointSet::readier);
        }
        Endpoint[] sorted = unique.values().toArray(new Endpoint[0]);
        Arrays.sort(sorted, BY_IDENTITY);
        return sorted;
    }

    /**
     * The same for IPv4 endpoints, at most 2^16 of them (a large service's every update sorts
     * thousands): each is sorted as one {@code long}, its address and port above its position
     * among those given, so that no address is copied per comparison, and endpoints of one address
     * and port end side by side in the order given.
     */
    private static Endpoint[] ipv4Sorted(Endpoint[] given) {
        long[] keys = new long[given.length];
        for (int i = 0; i < given.length; i++) {
            byte[] a = given[i].address().getAddress();
            long address = ((a[0] & 0xFFL) << 24) | ((a[1] & 0xFFL) << 16) | ((a[2] & 0xFFL) << 8) | (a[3] & 0xFFL);
            // Signed order of the address with its top bit flipped is its unsigned order.
            keys[i] = ((address ^ 0x8000_0000L) << 32) | ((long) given[i].port() << 16) | i;
        }
        Arrays.sort(keys);
        Endpoint[] sorted = new Endpoint[given.length];
        int kept = 0;
        for (int i = 0; i < keys.length; i++) {
            Endpoint e = given[(int) (keys[i] & 0xFFFF)];
            if (i > 0 && keys[i] >>> 16 == keys[i - 1] >>> 16) {
                sorted[kept - 1] = readier(sorted[kept - 1], e);
            } else {
                sorted[kept++] = e;
            }
        }
        return kept == sorted.length ? sorted : Arrays.copyOf(sorted, kept);
    }

    /** Of two endpoints of one address and port, the readier (ready over terminating over not ready), else the first. */
    private static Endpoint readier(Endpoint first, Endpoint second) {
        return second.readiness().compareTo(first.readiness()) < 0 ? second : first;
    }

    /** A set of these endpoints, version 0. */
    public static EndpointSet of(Endpoint... endpoints) {
        return of(0, Arrays.asList(endpoints));
    }

    /** This set's endpoints under another version. */
    public EndpointSet withVersion(long newVersion) {
        return newVersion == version ? this : new EndpointSet(this, newVersion, trafficDistribution);
    }

    /**
     * This set, with the Service's {@code spec.trafficDistribution} ({@code PreferClose},
     * {@code PreferSameZone}, {@code PreferSameNode}) as discovery read it; {@code null} for none.
     */
    public EndpointSet withTrafficDistribution(String distribution) {
        String value = distribution == null || distribution.isBlank() ? null : distribution;
        return Objects.equals(value, trafficDistribution) ? this : new EndpointSet(this, version, value);
    }

    /** The Service's {@code spec.trafficDistribution}, when discovery reads Services (k8s:/// targets) and it is set. */
    public Optional<String> trafficDistribution() {
        return Optional.ofNullable(trafficDistribution);
    }

    public long version() {
        return version;
    }

    /** Every endpoint, ready or not, ordered by address then port. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public int size() {
        return endpoints.size();
    }

    public boolean isEmpty() {
        return endpoints.isEmpty();
    }

    /** How many endpoints are {@link Readiness#READY}. */
    public int readyCount() {
        return ready;
    }

    /** How many endpoints are {@link Readiness#TERMINATING} (terminating but still serving). */
    public int terminatingCount() {
        return terminating;
    }

    /**
     * The endpoints calls may go to, ejected or not, in the set's order: the ready ones, or, when
     * none is ready, the terminating ones that still serve (the EndpointSlice guidance for
     * proxies). Every part of podlb that asks which pods are candidates asks this.
     */
    public List<Endpoint> candidates() {
        return candidates;
    }

    /** The readiness of {@link #candidates()}: ready, or, with none ready, terminating. */
    Readiness candidateReadiness() {
        return candidateReadiness;
    }

    /** Whether the endpoint at this address and port is one of {@link #candidates()}. */
    public boolean isCandidate(InetSocketAddress socketAddress) {
        return candidate(socketAddress) != null;
    }

    /** The endpoint at this address and port when it is one of {@link #candidates()}, else {@code null}. */
    Endpoint candidate(InetSocketAddress socketAddress) {
        Endpoint e = byAddress.get(socketAddress);
        return e != null && e.readiness() == candidateReadiness ? e : null;
    }

    /** The endpoint at this address and port, or {@code null}. */
    public Endpoint find(InetSocketAddress socketAddress) {
        return byAddress.get(socketAddress);
    }

    /** Whether an endpoint with this one's address and port is in the set. */
    public boolean contains(Endpoint endpoint) {
        return byAddress.containsKey(endpoint.socketAddress());
    }

    /**
     * The endpoints a pod reference names, or an empty list: a pod name ({@code backend-7d9f}; a
     * dual-stack pod has two endpoints), {@code address:port} ({@code 10.0.0.7:8080},
     * {@code [fd00::7]:8080}), or a bare address ({@code 10.0.0.7}, every port of it). Only
     * endpoints of this set can be returned: a reference is matched against discovered
     * endpoints, never turned into a new address.
     */
    public List<Endpoint> lookup(String reference) {
        if (reference == null || reference.isEmpty()) {
            return List.of();
        }
        // A pod name has no colon (a DNS subdomain); an address and port, or an IPv6 address, has.
        List<Endpoint> pods = reference.indexOf(':') < 0 ? byPodName().get(reference) : null;
        if (pods != null) {
            return pods;
        }
        InetAddress whole = InetAddresses.parseLiteral(reference);
        if (whole != null) {
            return endpointsAt(whole);
        }
        int colon = reference.lastIndexOf(':');
        if (colon <= 0 || colon == reference.length() - 1) {
            return List.of();
        }
        InetAddress address = InetAddresses.parseLiteral(reference.substring(0, colon));
        int port = parsePort(reference.substring(colon + 1));
        if (address == null || port < 0 || (address.getAddress().length == 16 && !reference.startsWith("["))) {
            return List.of();
        }
        Endpoint e = byAddress.get(new InetSocketAddress(address, port));
        return e == null ? List.of() : List.of(e);
    }

    /** Builds the index of endpoints by pod name now, so that {@link #lookup} finds it built. */
    void indexPodNames() {
        byPodName();
    }

    private Map<String, List<Endpoint>> byPodName() {
        Map<String, List<Endpoint>> byName = byPodName;
        if (byName == null) {
            byName = new HashMap<>();
            for (Endpoint e : endpoints) {
                Map<String, List<Endpoint>> into = byName;
                e.podName().ifPresent(pod -> into.computeIfAbsent(pod, k -> new ArrayList<>(2)).add(e));
            }
            byPodName = byName; // a racing thread at worst builds an equal map, and one of them is kept
        }
        return byName;
    }

    private List<Endpoint> endpointsAt(InetAddress address) {
        List<Endpoint> found = new ArrayList<>(1);
        for (Endpoint e : endpoints) {
            if (e.address().equals(address)) {
                found.add(e);
            }
        }
        return found;
    }

    private static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535 ? port : -1;
    }

    /** Equal when both hold the same endpoints with the same details; the version is not compared. */
    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof EndpointSet && endpoints.equals(((EndpointSet) o).endpoints)
                && Objects.equals(trafficDistribution, ((EndpointSet) o).trafficDistribution));
    }

    @Override
    public int hashCode() {
        return endpoints.hashCode();
    }

    /** {@code EndpointSet{v42, 3 endpoints: 2 ready, 1 terminating, 0 not ready}}. */
    @Override
    public String toString() {
        return "EndpointSet{v" + version + ", " + endpoints.size() + " endpoints: " + ready + " ready, "
                + terminating + " terminating, " + (endpoints.size() - ready - terminating) + " not ready}";
    }

    private static int compareIdentity(Endpoint a, Endpoint b) {
        byte[] x = a.address().getAddress();
        byte[] y = b.address().getAddress();
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        int c = Arrays.compareUnsigned(x, y);
        return c != 0 ? c : Integer.compare(a.port(), b.port());
    }
}
