package dev.podlb.spring;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Set;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * Sends a request whose host podlb balances (a service's host or a route's) to podlb's OkHttp
 * client, and every other request to the factory Spring Boot built, with its own settings. Called
 * on the threads that make requests; holds no state of its own.
 */
final class BalancedHostsRequestFactory implements ClientHttpRequestFactory {
    private final Set<String> balancedHosts;
    private final ClientHttpRequestFactory balanced;
    private final ClientHttpRequestFactory others;

    BalancedHostsRequestFactory(Set<String> balancedHosts, ClientHttpRequestFactory balanced, ClientHttpRequestFactory others) {
        this.balancedHosts = Set.copyOf(balancedHosts);
        this.balanced = balanced;
        this.others = others;
    }

    @Override
    public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) throws IOException {
        return (isBalanced(uri) ? balanced : others).createRequest(uri, httpMethod);
    }

    boolean isBalanced(URI uri) {
        String host = uri.getHost();
        return host != null && balancedHosts.contains(host.toLowerCase(Locale.ROOT));
    }

    /** The factory requests to other hosts go to. */
    ClientHttpRequestFactory others() {
        return others;
    }

    @Override
    public String toString() {
        return "BalancedHostsRequestFactory{" + balancedHosts + " through podlb, other hosts through " + others + "}";
    }
}
