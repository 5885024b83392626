package dev.podlb.okhttp;

import java.io.IOException;
import java.io.InputStream;
import java.net.ProxySelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Whether a client's proxy selector sends every request direct now, so that an attempt needs no
 * {@link PodProxySelector} of podlb's to bypass it, and OkHttp no copy of the call's chain to carry
 * one. Two selectors are known: OkHttp's own {@code NullProxySelector} (every request direct,
 * always) and the JDK's default selector, which is direct while none of the properties it reads at
 * each {@code select} names a proxy. Those properties are read again on every call, not cached: an
 * application that sets {@code http.proxyHost} later has its next call's attempts bypass that proxy
 * through a {@link PodProxySelector}. Any other selector is the application's, and is always
 * bypassed for the balanced host.
 *
 * <p>One window is left: a property set between this check and the moment OkHttp asks the selector
 * for a new connection's route (microseconds, on the one call running then) reaches the JDK's
 * selector directly. Setting a proxy property while calls are running is racy without podlb too.
 *
 * <p>Called on the threads that run calls; keeps no state but the JDK's {@code net.properties} file,
 * read once as the JDK itself reads it once, and whether system proxies were ever turned on.
 */
final class DirectSelectors {
    private static final String OKHTTP_NULL = "okhttp3.internal.proxy.NullProxySelector";
    private static final String JDK_DEFAULT = "sun.net.spi.DefaultProxySelector";
    /** The properties the JDK's selector takes a proxy host from, for http and https (sun.net.spi.DefaultProxySelector). */
    private static final String[] PROXY_HOSTS = {"http.proxyHost", "https.proxyHost", "proxyHost", "socksProxyHost"};
    /** Read by the JDK's selector when its class is initialised: once true, the operating system's proxies may be used. */
    private static final String SYSTEM_PROXIES = "java.net.useSystemProxies";
    /**
     * What the JDK's {@code net.properties} file gives each of {@link #PROXY_HOSTS}, and
     * {@link #SYSTEM_PROXIES}, or {@code null}: the file is read once, so only the system properties
     * are read at each call.
     */
    private static final String[] FILE_PROXY_HOSTS;
    private static final String FILE_SYSTEM_PROXIES;

    static {
        Properties file = netProperties();
        FILE_PROXY_HOSTS = new String[PROXY_HOSTS.length];
        for (int i = 0; i < PROXY_HOSTS.length; i++) {
            FILE_PROXY_HOSTS[i] = file.getProperty(PROXY_HOSTS[i]);
        }
        FILE_SYSTEM_PROXIES = file.getProperty(SYSTEM_PROXIES);
    }

    /**
     * Whether {@code java.net.useSystemProxies} was ever seen true: the JDK's selector reads it once,
     * so clearing it later does not turn the operating system's proxies off.
     */
    private static volatile boolean systemProxies = Boolean.parseBoolean(property(SYSTEM_PROXIES, FILE_SYSTEM_PROXIES));

    private DirectSelectors() {}

    /** Whether {@code selector} (the client's, with no fixed proxy) answers {@code NO_PROXY} for every host now. */
    static boolean allDirect(ProxySelector selector) {
        String type = selector.getClass().getName();
        if (type.equals(OKHTTP_NULL)) {
            return true;
        }
        return type.equals(JDK_DEFAULT) && noProxyConfigured();
    }

    private static boolean noProxyConfigured() {
        for (int i = 0; i < PROXY_HOSTS.length; i++) {
            String host = property(PROXY_HOSTS[i], FILE_PROXY_HOSTS[i]);
            if (host != null && !host.isEmpty()) {
                return false;
            }
        }
        if (systemProxies) {
            return false;
        }
        if (Boolean.parseBoolean(property(SYSTEM_PROXIES, FILE_SYSTEM_PROXIES))) {
            systemProxies = true;
            return false;
        }
        return true;
    }

    /** As the JDK's selector reads it: the system property, else {@code fromFile}, the JDK's {@code conf/net.properties}. */
    private static String property(String key, String fromFile) {
        String value = System.getProperty(key);
        return value != null ? value : fromFile;
    }

    /**
     * The JDK's {@code conf/net.properties}; when it cannot be read, a file that would name a proxy
     * is assumed, and every attempt bypasses the client's selector as before.
     */
    private static Properties netProperties() {
        Properties properties = new Properties();
        Path file = Path.of(System.getProperty("java.home"), "conf", "net.properties");
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException | RuntimeException e) {
            properties.setProperty(SYSTEM_PROXIES, "true");
        }
        return properties;
    }
}
