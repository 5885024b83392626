package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.podlb.core.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.util.List;
import okhttp3.ConnectionPool;
import okhttp3.Dns;
import org.junit.jupiter.api.Test;

/**
 * A pod's routing objects are reused from one attempt to the next only while they would route the
 * same: same host, same client {@code Dns}, same client proxy settings. A reused one equals the
 * one a fresh attempt would make, so OkHttp shares pooled connections alike either way.
 */
class PodRoutingTest {
    private static final String HOST = "backend.default.svc.cluster.local";
    private final Endpoint pod = Endpoint.of(InetAddress.getLoopbackAddress(), 8080);
    private final PodRouting routing = new PodRouting(new ConnectionPool());

    @Test
    void theSameHostAndClientDnsReuseThePodDns() {
        PodDns first = routing.dns(HOST, pod, Dns.SYSTEM);

        assertThat(routing.dns(HOST, pod, Dns.SYSTEM)).isSameAs(first)
                .isEqualTo(new PodDns(HOST, pod.address(), pod.port(), Dns.SYSTEM));
    }

    @Test
    void anotherClientDnsOrHostGetsAPodDnsOfItsOwn() throws Exception {
        Dns clientDns = hostname -> List.of(InetAddress.getByName("127.0.0.9"));
        PodDns first = routing.dns(HOST, pod, Dns.SYSTEM);

        PodDns otherDns = routing.dns(HOST, pod, clientDns);
        PodDns otherHost = routing.dns("routed.example", pod, clientDns);

        assertThat(otherDns).isNotEqualTo(first);
        assertThat(otherDns.lookup("elsewhere.example")).containsExactly(InetAddress.getByName("127.0.0.9"));
        assertThat(otherHost).isNotEqualTo(otherDns);
        assertThat(otherHost.lookup("routed.example")).extracting(InetAddress::getHostAddress).containsExactly(pod.address().getHostAddress());
    }

    @Test
    void theSameClientProxySettingsReuseThePodProxySelector() {
        ProxySelector clientSelector = ProxySelector.of(new InetSocketAddress("127.0.0.1", 3128));
        PodProxySelector first = routing.proxySelector(HOST, null, clientSelector);

        assertThat(routing.proxySelector(HOST, null, clientSelector)).isSameAs(first)
                .isEqualTo(new PodProxySelector(HOST, null, clientSelector));
    }

    @Test
    void anotherClientProxyGetsAProxySelectorOfItsOwn() {
        ProxySelector clientSelector = ProxySelector.of(new InetSocketAddress("127.0.0.1", 3128));
        Proxy fixed = new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", 3129));
        PodProxySelector first = routing.proxySelector(HOST, null, clientSelector);

        PodProxySelector withFixedProxy = routing.proxySelector(HOST, fixed, clientSelector);

        assertThat(withFixedProxy).isNotEqualTo(first);
        assertThat(withFixedProxy.select(URI.create("http://elsewhere.example/"))).containsExactly(fixed);
        assertThat(withFixedProxy.select(URI.create("http://" + HOST + "/"))).containsExactly(Proxy.NO_PROXY);
    }
}
