package dev.podlb.core.discovery.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DnsTargetTest {
    @Test
    void hostAndPortAskForAddressRecords() {
        DnsTarget target = DnsTarget.parse("dns:///Backend.default.svc.cluster.local:8080");

        assertThat(target.isSrv()).isFalse();
        assertThat(target.name()).isEqualTo("backend.default.svc.cluster.local");
        assertThat(target.port()).isEqualTo(8080);
    }

    @Test
    void underscoreNameAsksForSrvRecords() {
        DnsTarget target = DnsTarget.parse("dns:///_http._tcp.backend.default.svc.cluster.local");

        assertThat(target.isSrv()).isTrue();
        assertThat(target.port()).isEqualTo(-1);
    }

    @Test
    void missingPortIsNamed() {
        assertThatThrownBy(() -> DnsTarget.parse("dns:///backend.default.svc.cluster.local"))
                .hasMessageStartingWith("target \"dns:///backend.default.svc.cluster.local\" has no port; expected"
                        + " dns:///<host>:<port>");
    }

    @Test
    void srvNameWithAPortIsRefused() {
        assertThatThrownBy(() -> DnsTarget.parse("dns:///_http._tcp.backend:8080"))
                .hasMessage("target \"dns:///_http._tcp.backend:8080\" is an SRV name with a port; SRV records give the"
                        + " port, so expected dns:///_http._tcp.backend");
    }

    @Test
    void badPortsAndNamesAreNamed() {
        assertThatThrownBy(() -> DnsTarget.parse("dns:///backend:http"))
                .hasMessageStartingWith("target \"dns:///backend:http\": port \"http\" is not a number");
        assertThatThrownBy(() -> DnsTarget.parse("dns:///backend:70000"))
                .hasMessage("target \"dns:///backend:70000\": port 70000 is out of range; expected 1 to 65535");
        assertThatThrownBy(() -> DnsTarget.parse("dns:///back end:80"))
                .hasMessageStartingWith("target \"dns:///back end:80\": host name \"back end\" contains ' '");
        assertThatThrownBy(() -> DnsTarget.parse("dns:///backend..default:80"))
                .hasMessageStartingWith("target \"dns:///backend..default:80\": host name \"backend..default\" has an empty label");
        assertThatThrownBy(() -> DnsTarget.parse("dns:///10.0.0.1:80"))
                .hasMessageStartingWith("target \"dns:///10.0.0.1:80\" names an IP address");
        assertThatThrownBy(() -> DnsTarget.parse("dns:///_http.backend"))
                .hasMessageStartingWith("target \"dns:///_http.backend\": SRV name \"_http.backend\" is incomplete");
    }
}
