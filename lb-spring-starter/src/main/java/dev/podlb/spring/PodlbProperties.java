package dev.podlb.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * podlb's settings under {@code podlb.*}.
 *
 * <pre>
 * podlb:
 *   services:
 *     backend:
 *       target: dns:///backend.default.svc.cluster.local:8080
 *       host: backend.default.svc.cluster.local
 *       picker: sticky                       # round-robin | sticky | least-request
 *       sticky: { header: X-Session-Id, load-bound: 0.25 }
 *       least-request: { choices: 2, latency-aware: true, latency-decay: 10s, failure-penalty: 2.0 }
 *       slow-start: { window: 30s, aggression: 1.0, min-percent: 10 }
 *       pin-header: X-Pod
 *       when-pin-unavailable: fail           # fail | use-any
 *       record-latency: false                # true: stats(pod) has latency with any picker
 *       ejection: { consecutive-failures: 5, base-ejection-time: 30s, max-ejection-time: 300s,
 *                   max-ejection-percent: 10, panic-threshold-percent: 50,
 *                   failure-rate: { percent: 50, window: 100, minimum-calls: 20 } }
 *       retry: { max-attempts: 3, on-status: [503], buffer-responses-up-to: 64KB, per-try-timeout: 500ms,
 *                budget: { ratio: 0.2, min-retries-per-second: 10, ttl: 10s }, backoff: { base: 25ms, max: 250ms } }
 *       hedging: { after: 50ms }             # or { percentile: 95, initial-delay: 50ms }; off when absent
 *       topology: { zone: eu-west-1a, node: ip-10-0-1-7, spill-over: true, spill-over-threshold: 1.0,
 *                   prefer-same-zone: false, zones-by-address: { eu-west-1a: [10.1.0.0/16], eu-west-1b: [10.2.0.0/16] } }
 *   routes:
 *     - host: myapp
 *       paths: [ { path: /api, type: prefix, service: backend } ]
 *   dns: { servers: [127.0.0.1:5353], search-domains: [default.svc.cluster.local], ndots: 5,
 *          ip-family: ipv4, query-timeout: 2s, refresh: { min: 1s, max: 30s }, max-staleness: 5m }
 *   health: { include-in-root: false }
 *   metrics: { pod-tag: false }
 * </pre>
 */
@ConfigurationProperties(prefix = "podlb", ignoreUnknownFields = false)
public class PodlbProperties {
    /** The balanced services, by name (the name appears in health, metrics and logs). */
    private Map<String, Service> services = new LinkedHashMap<>();

    /** Path rules of logical hosts, each path sent to one of the services (Kubernetes Ingress semantics). */
    private List<Route> routes = new ArrayList<>();

    private final Metrics metrics = new Metrics();

    private final Health health = new Health();

    private final Dns dns = new Dns();

    public Map<String, Service> getServices() {
        return services;
    }

    public void setServices(Map<String, Service> services) {
        this.services = services;
    }

    public List<Route> getRoutes() {
        return routes;
    }

    public void setRoutes(List<Route> routes) {
        this.routes = routes;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public Health getHealth() {
        return health;
    }

    public Dns getDns() {
        return dns;
    }

    /** How a pod is chosen for a request; written round-robin, sticky or least-request. */
    public enum PickerKind {
        /** Each pickable pod in turn, in proportion to its weight. */
        ROUND_ROBIN,
        /** The same sticky key reaches the same pod, across calls and client replicas; needs a sticky key. */
        STICKY,
        /** The less loaded of two pods drawn at random: requests in flight, or with latency-aware, Peak-EWMA latency. */
        LEAST_REQUEST;

        /** As written in configuration: round-robin, sticky, least-request. */
        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public static class Service {
        /** Where the pods come from: dns:///host:port, dns:///_port._tcp.host (SRV), k8s:///service.namespace:port or static:///ip:port,... */
        private String target;

        /** The host name requests use; requests to it are balanced. Defaults to the service's name. */
        private String host;

        /**
         * How a pod is chosen: round-robin, sticky or least-request. Default: sticky when a sticky
         * key (sticky.header, sticky.cookie or sticky.learn-cookie) is set, else round-robin.
         */
        private PickerKind picker;

        private final Sticky sticky = new Sticky();

        private final LeastRequest leastRequest = new LeastRequest();

        private final SlowStart slowStart = new SlowStart();

        /** A header naming the pod a request must reach (pod name or ip:port); off when absent. Only discovered pods are reachable. */
        private String pinHeader;

        /** What a pinned request gets when its pod is absent, ejected or not ready: fail (with the reason) or use-any (the picker's choice). */
        private dev.podlb.core.pick.WhenPinUnavailable whenPinUnavailable = dev.podlb.core.pick.WhenPinUnavailable.FAIL;

        private final Ejection ejection = new Ejection();

        private final Retry retry = new Retry();

        private final Topology topology = new Topology();

        private final Hedging hedging = new Hedging();

        /**
         * Whether each pod's latency average is kept (LoadBalancer.stats(pod).latencyNanos()) even
         * when the picker does not read it, for an application that reads it itself. It costs two
         * clock reads per attempt; off, it is kept only for a picker that reads it
         * (least-request with latency-aware), and reads 0 otherwise.
         */
        private boolean recordLatency;

        public String getTarget() {
            return target;
        }

        public void setTarget(String target) {
            this.target = target;
        }

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public PickerKind getPicker() {
            return picker;
        }

        public void setPicker(PickerKind picker) {
            this.picker = picker;
        }

        public Sticky getSticky() {
            return sticky;
        }

        public LeastRequest getLeastRequest() {
            return leastRequest;
        }

        public SlowStart getSlowStart() {
            return slowStart;
        }

        public dev.podlb.core.pick.WhenPinUnavailable getWhenPinUnavailable() {
            return whenPinUnavailable;
        }

        public void setWhenPinUnavailable(dev.podlb.core.pick.WhenPinUnavailable whenPinUnavailable) {
            this.whenPinUnavailable = whenPinUnavailable;
        }

        public String getPinHeader() {
            return pinHeader;
        }

        public void setPinHeader(String pinHeader) {
            this.pinHeader = pinHeader;
        }

        public Ejection getEjection() {
            return ejection;
        }

        public Retry getRetry() {
            return retry;
        }

        public Topology getTopology() {
            return topology;
        }

        public Hedging getHedging() {
            return hedging;
        }

        public boolean isRecordLatency() {
            return recordLatency;
        }

        public void setRecordLatency(boolean recordLatency) {
            this.recordLatency = recordLatency;
        }
    }

    /**
     * Hedged requests: an idempotent call whose first attempt goes unanswered this long sends a
     * second attempt to another pod, and the first response wins. Off unless after, or percentile
     * with initial-delay, is set; never both.
     */
    public static class Hedging {
        /** A fixed delay before the second attempt, 1ms to 1m, such as 50ms. */
        private Duration after;

        /** The percentile of the service's recent answers (its last 1,000) that sets the delay, 50 or more and below 100, such as 95. */
        private Double percentile;

        /** With percentile: the delay until 100 answers are known, 1ms to 1m, such as 50ms. */
        private Duration initialDelay;

        public Duration getAfter() {
            return after;
        }

        public void setAfter(Duration after) {
            this.after = after;
        }

        public Double getPercentile() {
            return percentile;
        }

        public void setPercentile(Double percentile) {
            this.percentile = percentile;
        }

        public Duration getInitialDelay() {
            return initialDelay;
        }

        public void setInitialDelay(Duration initialDelay) {
            this.initialDelay = initialDelay;
        }
    }

    /**
     * Zone-aware routing: where this client runs, and how calls keep to its zone. Without
     * topology hints on the endpoints (or {@code prefer-same-zone}, or {@code zones-by-address}),
     * every pod is used.
     */
    public static class Topology {
        /** The client's zone, such as eu-west-1a. Default: the PODLB_ZONE environment variable. */
        private String zone;

        /** The client's node, for PreferSameNode. Default: the PODLB_NODE environment variable. */
        private String node;

        /**
         * Whether calls spill beyond the local pods when those run short: from a node to its zone first, then to
         * other zones. Off, every call stays local, as kube-proxy keeps it.
         */
        private boolean spillOver = true;

        /** Calls spill once the local pods' healthy share falls below this fraction (over 0, at most 1) of their expected share. */
        private double spillOverThreshold = 1.0;

        /** Whether an endpoint without zone hints counts as hinted for its own zone (clusters without topology-aware hints). */
        private boolean preferSameZone;

        /**
         * Zones of endpoints discovery gives none (DNS), by zone: each zone's address ranges, such
         * as eu-west-1a: [10.1.0.0/16]; implies prefer-same-zone. The first range that holds an
         * address wins.
         */
        private Map<String, List<String>> zonesByAddress = new LinkedHashMap<>();

        public String getZone() {
            return zone;
        }

        public void setZone(String zone) {
            this.zone = zone;
        }

        public String getNode() {
            return node;
        }

        public void setNode(String node) {
            this.node = node;
        }

        public boolean isSpillOver() {
            return spillOver;
        }

        public void setSpillOver(boolean spillOver) {
            this.spillOver = spillOver;
        }

        public double getSpillOverThreshold() {
            return spillOverThreshold;
        }

        public void setSpillOverThreshold(double spillOverThreshold) {
            this.spillOverThreshold = spillOverThreshold;
        }

        public boolean isPreferSameZone() {
            return preferSameZone;
        }

        public void setPreferSameZone(boolean preferSameZone) {
            this.preferSameZone = preferSameZone;
        }

        public Map<String, List<String>> getZonesByAddress() {
            return zonesByAddress;
        }

        public void setZonesByAddress(Map<String, List<String>> zonesByAddress) {
            this.zonesByAddress = zonesByAddress;
        }
    }

    public static class Sticky {
        /** The request header whose value is the sticky key, such as X-Session-Id. */
        private String header;

        /** The cookie whose value is the sticky key. */
        private String cookie;

        /** The session cookie pods set, such as JSESSIONID: requests carrying it return to the pod that set it. */
        private String learnCookie;

        /**
         * Bounded load: a key whose pod has more than (1 + load-bound) times the mean requests in
         * flight goes to the next pod of its own sequence, so one hot key range cannot overload a pod.
         * More than 0, such as 0.25; off when absent. Not with learn-cookie.
         */
        private Double loadBound;

        private final SessionMemory sessionMemory = new SessionMemory();

        public Double getLoadBound() {
            return loadBound;
        }

        public void setLoadBound(Double loadBound) {
            this.loadBound = loadBound;
        }

        public SessionMemory getSessionMemory() {
            return sessionMemory;
        }

        public String getHeader() {
            return header;
        }

        public void setHeader(String header) {
            this.header = header;
        }

        public String getCookie() {
            return cookie;
        }

        public void setCookie(String cookie) {
            this.cookie = cookie;
        }

        public String getLearnCookie() {
            return learnCookie;
        }

        public void setLearnCookie(String learnCookie) {
            this.learnCookie = learnCookie;
        }
    }

    /** The sessions learn-cookie remembers, each bound to the pod that set its cookie. */
    public static class SessionMemory {
        /** At most this many sessions are remembered; the least recently used go first. */
        private long maximumSize = 100_000;

        /** A session not used for this long is forgotten. */
        private Duration idleExpiry = Duration.ofMinutes(30);

        public long getMaximumSize() {
            return maximumSize;
        }

        public void setMaximumSize(long maximumSize) {
            this.maximumSize = maximumSize;
        }

        public Duration getIdleExpiry() {
            return idleExpiry;
        }

        public void setIdleExpiry(Duration idleExpiry) {
            this.idleExpiry = idleExpiry;
        }
    }

    /** Settings of picker: least-request; each is refused with another picker. */
    public static class LeastRequest {
        /** Pods drawn per pick, 2 to 100. Default 2 (the power of two choices). */
        private Integer choices;

        /** Whether picks weigh each pod's latency and recent failures (Peak-EWMA), not only its requests in flight. Default false. */
        private Boolean latencyAware;

        /** How fast an idle pod's latency is forgotten; with latency-aware only. Default 10s. */
        private Duration latencyDecay;

        /** How much each failure in a row multiplies a pod's cost, 1 to 100; with latency-aware only. Default 2. */
        private Double failurePenalty;

        public Integer getChoices() {
            return choices;
        }

        public void setChoices(Integer choices) {
            this.choices = choices;
        }

        public Boolean getLatencyAware() {
            return latencyAware;
        }

        public void setLatencyAware(Boolean latencyAware) {
            this.latencyAware = latencyAware;
        }

        public Duration getLatencyDecay() {
            return latencyDecay;
        }

        public void setLatencyDecay(Duration latencyDecay) {
            this.latencyDecay = latencyDecay;
        }

        public Double getFailurePenalty() {
            return failurePenalty;
        }

        public void setFailurePenalty(Double failurePenalty) {
            this.failurePenalty = failurePenalty;
        }

        /** The first setting given, by its name in configuration, or null when none is. */
        Map.Entry<String, Object> firstSet() {
            return choices != null ? Map.entry("choices", choices) : latencyAware != null ? Map.entry("latency-aware", latencyAware)
                    : latencyDecay != null ? Map.entry("latency-decay", latencyDecay)
                    : failurePenalty != null ? Map.entry("failure-penalty", failurePenalty) : null;
        }
    }

    /**
     * Eases each pod that becomes ready into rotation over a window, from min-percent of its
     * weight to all of it (round-robin and least-request); off unless window is set.
     */
    public static class SlowStart {
        /** How long a new pod's share takes to grow to its full weight, such as 30s. Off when absent. */
        private Duration window;

        /** The ramp's shape: 1 is linear, 2 gives a new pod more traffic early, 0.5 less. Default 1. */
        private Double aggression;

        /** The share of its weight a new pod starts from, in percent, more than 0 and at most 100. Default 10. */
        private Double minPercent;

        public Duration getWindow() {
            return window;
        }

        public void setWindow(Duration window) {
            this.window = window;
        }

        public Double getAggression() {
            return aggression;
        }

        public void setAggression(Double aggression) {
            this.aggression = aggression;
        }

        public Double getMinPercent() {
            return minPercent;
        }

        public void setMinPercent(Double minPercent) {
            this.minPercent = minPercent;
        }

        /** The first setting given, by its name in configuration, or null when none is. */
        Map.Entry<String, Object> firstSet() {
            return window != null ? Map.entry("window", window) : aggression != null ? Map.entry("aggression", aggression)
                    : minPercent != null ? Map.entry("min-percent", minPercent) : null;
        }
    }

    /** Ejection by failure rate, beside consecutive failures: off unless percent is set. */
    public static class FailureRate {
        /** Eject a pod when at least this percent of its last window calls failed; 0 (the default) turns it off. */
        private float percent;

        /** The calls the rate is taken over. */
        private int window = 100;

        /** The calls a pod must have had before its rate counts, at most window. */
        private int minimumCalls = 20;

        public float getPercent() {
            return percent;
        }

        public void setPercent(float percent) {
            this.percent = percent;
        }

        public int getWindow() {
            return window;
        }

        public void setWindow(int window) {
            this.window = window;
        }

        public int getMinimumCalls() {
            return minimumCalls;
        }

        public void setMinimumCalls(int minimumCalls) {
            this.minimumCalls = minimumCalls;
        }
    }

    public static class Ejection {
        /** Failures in a row that eject a pod; 0 turns ejection off. */
        private int consecutiveFailures = 5;

        /** How long a first ejection lasts; the n-th ejection in a row lasts n times as long. */
        private Duration baseEjectionTime = Duration.ofSeconds(30);

        /** The longest an ejection lasts. */
        private Duration maxEjectionTime = Duration.ofMinutes(5);

        /** At most this share of the ready pods, in percent, is ejected at once; one always may be. */
        private int maxEjectionPercent = 10;

        /** Below this share of healthy (not ejected) ready pods, in percent, calls spread over all of them. */
        private int panicThresholdPercent = 50;

        private final FailureRate failureRate = new FailureRate();

        public FailureRate getFailureRate() {
            return failureRate;
        }

        public int getMaxEjectionPercent() {
            return maxEjectionPercent;
        }

        public void setMaxEjectionPercent(int maxEjectionPercent) {
            this.maxEjectionPercent = maxEjectionPercent;
        }

        public int getPanicThresholdPercent() {
            return panicThresholdPercent;
        }

        public void setPanicThresholdPercent(int panicThresholdPercent) {
            this.panicThresholdPercent = panicThresholdPercent;
        }

        public int getConsecutiveFailures() {
            return consecutiveFailures;
        }

        public void setConsecutiveFailures(int consecutiveFailures) {
            this.consecutiveFailures = consecutiveFailures;
        }

        public Duration getBaseEjectionTime() {
            return baseEjectionTime;
        }

        public void setBaseEjectionTime(Duration baseEjectionTime) {
            this.baseEjectionTime = baseEjectionTime;
        }

        public Duration getMaxEjectionTime() {
            return maxEjectionTime;
        }

        public void setMaxEjectionTime(Duration maxEjectionTime) {
            this.maxEjectionTime = maxEjectionTime;
        }
    }

    public static class Retry {
        /** Attempts per call, the first included, each on another pod; safe retries only (a POST is never sent twice). */
        private int maxAttempts = 3;

        /** Response statuses retried on another pod, for requests that may be sent twice, such as 503. */
        private List<Integer> onStatus = new ArrayList<>();

        /**
         * Responses of retried requests whose body length is known and at most this are read whole
         * before the call returns, so that a pod dying in the middle of one is retried on another pod.
         * Longer bodies stream to the caller as they arrive; 0 turns it off.
         */
        private DataSize bufferResponsesUpTo = DataSize.ofKilobytes(64);

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public List<Integer> getOnStatus() {
            return onStatus;
        }

        public void setOnStatus(List<Integer> onStatus) {
            this.onStatus = onStatus;
        }

        /** Bounds each attempt's connect and each wait for the pod on it, so that a retry fits in the call timeout; off unless set. */
        private Duration perTryTimeout;

        private final Budget budget = new Budget();

        private final Backoff backoff = new Backoff();

        public DataSize getBufferResponsesUpTo() {
            return bufferResponsesUpTo;
        }

        public void setBufferResponsesUpTo(DataSize bufferResponsesUpTo) {
            this.bufferResponsesUpTo = bufferResponsesUpTo;
        }

        public Duration getPerTryTimeout() {
            return perTryTimeout;
        }

        public void setPerTryTimeout(Duration perTryTimeout) {
            this.perTryTimeout = perTryTimeout;
        }

        public Budget getBudget() {
            return budget;
        }

        public Backoff getBackoff() {
            return backoff;
        }
    }

    /** How many retries the service's calls may add in all, so that retries cannot multiply an outage. */
    public static class Budget {
        /** Whether retries are limited; false allows every retry max-attempts allows. */
        private boolean enabled = true;

        /** Retries allowed per call, 0 to 1. */
        private double ratio = 0.2;

        /** Retries allowed every second whatever the traffic. */
        private int minRetriesPerSecond = 10;

        /** How long a call or a retry counts towards the budget. */
        private Duration ttl = Duration.ofSeconds(10);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public double getRatio() {
            return ratio;
        }

        public void setRatio(double ratio) {
            this.ratio = ratio;
        }

        public int getMinRetriesPerSecond() {
            return minRetriesPerSecond;
        }

        public void setMinRetriesPerSecond(int minRetriesPerSecond) {
            this.minRetriesPerSecond = minRetriesPerSecond;
        }

        public Duration getTtl() {
            return ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }
    }

    /** The jittered wait before each retry. */
    public static class Backoff {
        /** The wait before retry n is random below (2^n - 1) times this; 0 retries at once. */
        private Duration base = Duration.ofMillis(25);

        /** The longest wait. */
        private Duration max = Duration.ofMillis(250);

        public Duration getBase() {
            return base;
        }

        public void setBase(Duration base) {
            this.base = base;
        }

        public Duration getMax() {
            return max;
        }

        public void setMax(Duration max) {
            this.max = max;
        }
    }

    public static class Route {
        /** The logical host whose paths are routed, such as myapp. */
        private String host;

        /** The path rules; the longest match wins. */
        private List<RoutePath> paths = new ArrayList<>();

        /** The service for paths no rule matches; without it they fail. */
        private String defaultService;

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public List<RoutePath> getPaths() {
            return paths;
        }

        public void setPaths(List<RoutePath> paths) {
            this.paths = paths;
        }

        public String getDefaultService() {
            return defaultService;
        }

        public void setDefaultService(String defaultService) {
            this.defaultService = defaultService;
        }
    }

    public static class RoutePath {
        /** An absolute path, such as /api. */
        private String path;

        /** prefix (whole path elements: /api matches /api/v1, not /apix) or exact. */
        private dev.podlb.okhttp.PathRoutes.PathType type = dev.podlb.okhttp.PathRoutes.PathType.PREFIX;

        /** The name of the service these requests go to. */
        private String service;

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public dev.podlb.okhttp.PathRoutes.PathType getType() {
            return type;
        }

        public void setType(dev.podlb.okhttp.PathRoutes.PathType type) {
            this.type = type;
        }

        public String getService() {
            return service;
        }

        public void setService(String service) {
            this.service = service;
        }
    }

    public static class Metrics {
        /** Whether podlb.attempts carries a pod tag; off by default, since pod churn makes its values unbounded. */
        private boolean podTag;

        public boolean isPodTag() {
            return podTag;
        }

        public void setPodTag(boolean podTag) {
            this.podTag = podTag;
        }
    }

    /** The per-service health indicators, {@code podlb/<service>}. */
    public static class Health {
        /**
         * Whether the services' health counts in the application's own health (/actuator/health).
         * Off: a service without pods leaves the application UP, so that a downstream outage does
         * not take down every caller; health groups that include podlb show it.
         */
        private boolean includeInRoot;

        public boolean isIncludeInRoot() {
            return includeInRoot;
        }

        public void setIncludeInRoot(boolean includeInRoot) {
            this.includeInRoot = includeInRoot;
        }
    }

    /** How dns:/// targets are resolved; unset values keep podlb's defaults, and servers, search domains and ndots those of /etc/resolv.conf. */
    public static class Dns {
        /** The DNS servers asked, in order, each ip:port or ip (port 53), such as 127.0.0.1:5353 for a local test server. Default: resolv.conf's nameservers. */
        private List<String> servers = new ArrayList<>();

        /** Domains appended to short names. Default: resolv.conf's search line. */
        private List<String> searchDomains;

        /** Names with fewer dots than this are tried with the search domains first, 0 to 15. Default: resolv.conf's ndots, else 1. */
        private Integer ndots;

        public List<String> getServers() {
            return servers;
        }

        public void setServers(List<String> servers) {
            this.servers = servers;
        }

        public List<String> getSearchDomains() {
            return searchDomains;
        }

        public void setSearchDomains(List<String> searchDomains) {
            this.searchDomains = searchDomains;
        }

        public Integer getNdots() {
            return ndots;
        }

        public void setNdots(Integer ndots) {
            this.ndots = ndots;
        }

        /** The record types asked: ipv4 (A), ipv6 (AAAA) or both. Default: the families of the pod's own addresses. */
        private dev.podlb.core.discovery.dns.IpFamily ipFamily;

        /** How long one query waits for its answer. Default 2s. */
        private Duration queryTimeout;

        /** How long the last good set keeps serving while DNS fails. Default: for as long as DNS fails. */
        private Duration maxStaleness;

        private final Refresh refresh = new Refresh();

        public dev.podlb.core.discovery.dns.IpFamily getIpFamily() {
            return ipFamily;
        }

        public void setIpFamily(dev.podlb.core.discovery.dns.IpFamily ipFamily) {
            this.ipFamily = ipFamily;
        }

        public Duration getQueryTimeout() {
            return queryTimeout;
        }

        public void setQueryTimeout(Duration queryTimeout) {
            this.queryTimeout = queryTimeout;
        }

        public Duration getMaxStaleness() {
            return maxStaleness;
        }

        public void setMaxStaleness(Duration maxStaleness) {
            this.maxStaleness = maxStaleness;
        }

        public Refresh getRefresh() {
            return refresh;
        }

        /** Whether any DNS setting is given. */
        boolean isSet() {
            return !servers.isEmpty() || searchDomains != null || ndots != null || ipFamily != null || queryTimeout != null
                    || maxStaleness != null || refresh.min != null || refresh.max != null;
        }
    }

    /** The records' TTL, clamped to [min, max], sets when a name is asked again. */
    public static class Refresh {
        /** The shortest time between two queries of a name. Default 1s. */
        private Duration min;

        /** The longest time between two queries of a name. Default 30s. */
        private Duration max;

        public Duration getMin() {
            return min;
        }

        public void setMin(Duration min) {
            this.min = min;
        }

        public Duration getMax() {
            return max;
        }

        public void setMax(Duration max) {
            this.max = max;
        }
    }
}
