package dev.podlb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import org.junit.jupiter.api.Test;

class DirectSelectorsTest {
    private static final ProxySelector JDK_DEFAULT = ProxySelector.getDefault();

    @Test
    void theJdksSelectorIsDirectWhileNoPropertyNamesAProxy() {
        assertThat(JDK_DEFAULT.getClass().getName()).isEqualTo("sun.net.spi.DefaultProxySelector");
        assertThat(DirectSelectors.allDirect(JDK_DEFAULT)).isTrue();

        for (String key : new String[] {"http.proxyHost", "https.proxyHost", "proxyHost", "socksProxyHost"}) {
            String before = System.getProperty(key);
            try {
                System.setProperty(key, "127.0.0.6");
                assertThat(DirectSelectors.allDirect(JDK_DEFAULT)).as(key).isFalse();
                System.setProperty(key, ""); // the JDK's selector ignores an empty host
                assertThat(DirectSelectors.allDirect(JDK_DEFAULT)).as(key + " empty").isTrue();
            } finally {
                restore(key, before);
            }
            assertThat(DirectSelectors.allDirect(JDK_DEFAULT)).as(key + " cleared").isTrue();
        }
    }

    @Test
    void anApplicationsSelectorIsNeverTakenForDirect() {
        assertThat(DirectSelectors.allDirect(ProxySelector.of(new InetSocketAddress("127.0.0.6", 3128)))).isFalse();
    }

    @Test
    void okHttpsNullSelectorIsAlwaysDirect() {
        assertThat(DirectSelectors.allDirect(okhttp3.internal.proxy.NullProxySelector.INSTANCE)).isTrue();
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
