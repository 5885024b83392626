package dev.podlb.core.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KubernetesTargetTest {
    @Test
    void serviceNamespaceAndNamedPort() {
        KubernetesTarget target = KubernetesTarget.parse("k8s:///backend.default:http");

        assertThat(target.service()).isEqualTo("backend");
        assertThat(target.namespace()).contains("default");
        assertThat(target.portName()).contains("http");
    }

    @Test
    void numberedPortAndTheClientsNamespace() {
        KubernetesTarget target = KubernetesTarget.parse("k8s:///backend:8080");

        assertThat(target.namespace()).isEmpty();
        assertThat(target.portNumber()).isEqualTo(8080);
    }

    @Test
    void malformedFormsAreNamed() {
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///backend.default"))
                .hasMessageStartingWith("target \"k8s:///backend.default\" has no port; expected k8s:///<service>[.<namespace>]");
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///backend.default.svc.cluster.local:80"))
                .hasMessageContaining("has more than one dot").hasMessageContaining("use dns:///");
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///Backend.default:http"))
                .hasMessageStartingWith("target \"k8s:///Backend.default:http\": service name \"Backend\" is not valid");
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///backend.-bad-:http"))
                .hasMessageStartingWith("target \"k8s:///backend.-bad-:http\": namespace \"-bad-\" is not valid");
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///backend.default:99999"))
                .hasMessageContaining("port \"99999\" is not a port number from 1 to 65535");
        assertThatThrownBy(() -> KubernetesTarget.parse("k8s:///backend.default:a-very-long-port-name"))
                .hasMessageContaining("port name \"a-very-long-port-name\" is not valid");
    }
}
