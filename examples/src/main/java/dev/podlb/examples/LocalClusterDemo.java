package dev.podlb.examples;

import com.sun.net.httpserver.HttpServer;
import dev.podlb.core.Endpoint;
import dev.podlb.core.LoadBalancer;
import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.dns.IpFamily;
import dev.podlb.testing.TestDnsServer;
import dev.podlb.core.health.EjectionPolicy;
import dev.podlb.okhttp.BalancedService;
import dev.podlb.okhttp.CallListener;
import dev.podlb.okhttp.LoadBalancingInterceptor;
import dev.podlb.okhttp.StickyKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * podlb in front of your eyes: a local "cluster" on loopback — three pods answering with their
 * names on 127.0.0.2–4 and a DNS server on 127.0.0.1 serving the headless Service's A and SRV
 * records — called through OkHttp with podlb's interceptor.
 *
 * <pre>
 * mvn -q -Pdemo -pl examples -am package exec:java                                              # the local cluster
 * mvn -q -Pdemo -pl examples -am package exec:java -Dexec.args="--target dns:///_http._tcp.backend.default.svc.cluster.local"
 * mvn -q -Pdemo -pl examples -am package exec:java -Dexec.args="--target k8s:///backend.default:http --host backend.default.svc.cluster.local"
 * </pre>
 */
public final class LocalClusterDemo {
    private static final String HOST = "backend.default.svc.cluster.local";
    private static final String SRV = "_http._tcp." + HOST;
    private static final long TTL_SECONDS = 2;
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    private final Map<String, HttpServer> pods = new LinkedHashMap<>();
    private final Map<String, String> addressOf = new LinkedHashMap<>();
    private int port;
    private TestDnsServer dns;

    private LocalClusterDemo() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        if (options.containsKey("--target")) {
            remote(options.get("--target"), options.getOrDefault("--host", HOST));
            return;
        }
        new LocalClusterDemo().run();
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        dns = new TestDnsServer();
        startPod("backend-0", "127.0.0.2");
        startPod("backend-1", "127.0.0.3");
        startPod("backend-2", "127.0.0.4");
        publishDns();
        System.out.printf("Local cluster: DNS on %s, pods %s on port %d%n%n", dns.address(), addressOf, port);

        Discovery discovery = Discovery.builder()
                .dns(dev.podlb.core.discovery.dns.DnsSettings.builder().server(dns.address()).searchDomains(java.util.List.of()).ndots(1).ipFamily(IpFamily.IPV4).refresh(Duration.ofSeconds(1), Duration.ofSeconds(30)).build())
                .build();
        LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder()
                .discovery(discovery)
                .service(BalancedService.builder(HOST)
                        .target("dns:///" + SRV)
                        .stickyKey(StickyKey.header("X-Session-Id"))
                        .pinHeader("X-Pod")
                        .ejection(EjectionPolicy.builder().consecutiveFailures(2).baseEjectionTime(Duration.ofSeconds(2))
                                .maxEjectionTime(Duration.ofSeconds(10)).build())
                        .build())
                .listener(new CallListener() {
                    @Override
                    public void ejected(String service, Endpoint pod, Duration duration) {
                        System.out.printf("    event: %s ejected for %d s%n", name(pod), duration.toSeconds());
                    }

                    @Override
                    public void readmitted(String service, Endpoint pod) {
                        System.out.printf("    event: %s back in rotation, on trial%n", name(pod));
                    }
                })
                .build();
        LoadBalancer lb = interceptor.loadBalancer(HOST).awaitReady(Duration.ofSeconds(10));
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
        String url = "http://" + HOST + ":" + port + "/";

        System.out.println("1. Round-robin: 300 calls to " + url);
        printSpread(spread(client, url, 300, null));

        System.out.println("\n2. Sticky: 10 calls with X-Session-Id: alice, 10 with X-Session-Id: bob");
        System.out.println("    alice -> " + spread(client, url, 10, "alice").keySet());
        System.out.println("    bob   -> " + spread(client, url, 10, "bob").keySet());

        System.out.println("\n3. Pinned: a call with X-Pod: backend-2");
        System.out.println("    answered by " + call(client, new Request.Builder().url(url).header("X-Pod", "backend-2")));

        System.out.println("\n4. backend-1 stops; 30 calls");
        pods.get("backend-1").stop(0);
        printSpread(spread(client, url, 30, null));
        System.out.printf("    30 of 30 succeeded (retried on another pod); %d pod ejected%n", lb.status().ejected());

        System.out.println("   backend-1 restarts; calls until it answers again");
        startPod("backend-1", "127.0.0.3");
        long restarted = System.nanoTime();
        while (!spread(client, url, 3, null).containsKey("backend-1") && !waitedTooLong(restarted)) {
            Thread.sleep(100);
        }
        System.out.printf("    backend-1 answers again %.1f s after its restart%n", seconds(restarted));

        System.out.println("\n5. backend-3 (127.0.0.5) is added to DNS, TTL " + TTL_SECONDS + " s");
        startPod("backend-3", "127.0.0.5");
        publishDns();
        long added = System.nanoTime();
        while (lb.endpoints().lookup("backend-3").isEmpty() && !waitedTooLong(added)) {
            Thread.sleep(20);
        }
        System.out.printf("    picked up %.1f s later; 400 calls:%n", seconds(added));
        printSpread(spread(client, url, 400, null));

        interceptor.close();
        discovery.close();
        pods.values().forEach(pod -> pod.stop(0));
        dns.close();
        client.dispatcher().executorService().shutdown();
        System.out.printf("%nDone in %.1f s.%n", seconds(started));
    }

    private void startPod(String name, String ip) throws IOException {
        HttpServer pod = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), port), 50);
        pod.createContext("/", exchange -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        pod.start();
        port = pod.getAddress().getPort();
        pods.put(name, pod);
        addressOf.put(name, ip);
    }

    /** The headless Service's A and SRV records, as CoreDNS serves them: SRV targets named after the pods. */
    private void publishDns() {
        List<String> targets = new ArrayList<>();
        addressOf.forEach((name, ip) -> {
            dns.a(name + "." + HOST, TTL_SECONDS, ip);
            targets.add(name + "." + HOST + ":" + port + ":1");
        });
        dns.a(HOST, TTL_SECONDS, addressOf.values().toArray(new String[0]));
        dns.srv(SRV, TTL_SECONDS, targets.toArray(new String[0]));
    }

    private static Map<String, Integer> spread(OkHttpClient client, String url, int calls, String session)
            throws IOException {
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < calls; i++) {
            Request.Builder request = new Request.Builder().url(url);
            if (session != null) {
                request.header("X-Session-Id", session);
            }
            answers.merge(call(client, request), 1, Integer::sum);
        }
        return answers;
    }

    private static String call(OkHttpClient client, Request.Builder request) throws IOException {
        try (Response response = client.newCall(request.build()).execute()) {
            return response.body().string();
        }
    }

    private static void printSpread(Map<String, Integer> answers) {
        int total = answers.values().stream().mapToInt(Integer::intValue).sum();
        answers.forEach((pod, n) -> System.out.printf("    %-10s %4d  %s%n", pod, n, "#".repeat(Math.max(1, n * 40 / total))));
    }

    private static String name(Endpoint pod) {
        return pod.podName().orElse(pod.authority());
    }

    private static boolean waitedTooLong(long since) {
        return System.nanoTime() - since > PATIENCE.toNanos();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Against a real cluster: the spread of 300 calls and one sticky session. */
    private static void remote(String target, String host) throws IOException {
        try (LoadBalancingInterceptor interceptor = LoadBalancingInterceptor.builder()
                .service(BalancedService.builder(host).target(target).stickyKey(StickyKey.header("X-Session-Id")).build())
                .build()) {
            interceptor.loadBalancer(host).awaitReady(Duration.ofSeconds(30));
            OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).build();
            String url = "http://" + host + "/";
            System.out.println(target + ": " + interceptor.loadBalancer(host).status());
            System.out.println("300 calls to " + url);
            printSpread(spread(client, url, 300, null));
            System.out.println("session alice -> " + spread(client, url, 10, "alice").keySet());
            client.dispatcher().executorService().shutdown();
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!key.equals("--target") && !key.equals("--host")) {
                throw new IllegalArgumentException("unknown option \"" + key + "\"; expected --target <target> [--host <host>]");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + key + " has no value; expected " + key + " <value>");
            }
            options.put(key, args[++i]);
        }
        return options;
    }
}
