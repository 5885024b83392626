package dev.podlb.core.discovery.kubernetes;

import dev.podlb.core.discovery.Target;
import java.util.Optional;

/**
 * A parsed {@code k8s:///<service>[.<namespace>]:<port>} target. The port is the pods' port, by
 * name ({@code http}, as the Service names it) or number ({@code 8080}, the port pods listen on):
 * podlb calls pods directly, past the Service's port mapping. Without a namespace, the client's own.
 */
public final class KubernetesTarget {
    private static final String EXPECTED = "; expected k8s:///<service>[.<namespace>]:<port-name-or-number>,"
            + " such as k8s:///backend.default:http";

    private final Target target;
    private final String service;
    private final String namespace;
    private final String portName;
    private final int portNumber;

    private KubernetesTarget(Target target, String service, String namespace, String portName, int portNumber) {
        this.target = target;
        this.service = service;
        this.namespace = namespace;
        this.portName = portName;
        this.portNumber = portNumber;
    }

    public static KubernetesTarget parse(String target) {
        return parse(Target.parse(target));
    }

    /** Checks service, namespace and port, with a message naming what is wrong. */
    public static KubernetesTarget parse(Target target) {
        if (!target.scheme().equals("k8s")) {
            throw new IllegalArgumentException("target \"" + target + "\" is not a k8s target" + EXPECTED);
        }
        String path = target.path();
        int colon = path.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("target \"" + target + "\" has no port" + EXPECTED);
        }
        String name = path.substring(0, colon);
        String port = path.substring(colon + 1);
        String[] parts = name.split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("target \"" + target + "\": \"" + name + "\" has more than one dot; a k8s"
                    + " target names a service and a namespace, not a DNS name (for that, use dns:///" + path + ")" + EXPECTED);
        }
        String service = parts[0];
        if (!isDns1035Label(service)) {
            throw new IllegalArgumentException("target \"" + target + "\": service name \"" + service + "\" is not valid;"
                    + " expected lower-case letters, digits and '-', starting with a letter, at most 63 characters" + EXPECTED);
        }
        String namespace = null;
        if (parts.length == 2) {
            namespace = parts[1];
            if (!isDns1123Label(namespace)) {
                throw new IllegalArgumentException("target \"" + target + "\": namespace \"" + namespace + "\" is not valid;"
                        + " expected lower-case letters, digits and '-', at most 63 characters" + EXPECTED);
            }
        }
        if (port.isEmpty()) {
            throw new IllegalArgumentException("target \"" + target + "\" has an empty port" + EXPECTED);
        }
        if (Character.isDigit(port.charAt(0))) {
            int number;
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                number = -1;
            }
            if (number < 1 || number > 65535) {
                throw new IllegalArgumentException("target \"" + target + "\": port \"" + port + "\" is not a port number"
                        + " from 1 to 65535 nor a port name" + EXPECTED);
            }
            return new KubernetesTarget(target, service, namespace, null, number);
        }
        if (!isPortName(port)) {
            throw new IllegalArgumentException("target \"" + target + "\": port name \"" + port + "\" is not valid;"
                    + " expected lower-case letters, digits and '-', at most 15 characters" + EXPECTED);
        }
        return new KubernetesTarget(target, service, namespace, port, -1);
    }

    private static boolean isDns1035Label(String s) {
        return isDns1123Label(s) && s.charAt(0) >= 'a' && s.charAt(0) <= 'z';
    }

    private static boolean isDns1123Label(String s) {
        if (s.isEmpty() || s.length() > 63 || s.startsWith("-") || s.endsWith("-")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPortName(String s) {
        return s.length() <= 15 && isDns1123Label(s) && !s.contains("--");
    }

    public String service() {
        return service;
    }

    /** The namespace written in the target; empty when the client's own is meant. */
    public Optional<String> namespace() {
        return Optional.ofNullable(namespace);
    }

    /** The port's name, when the target names it; empty when it gives a number. */
    public Optional<String> portName() {
        return Optional.ofNullable(portName);
    }

    /** The port's number, or -1 when the target names it. */
    public int portNumber() {
        return portNumber;
    }

    String portText() {
        return portName != null ? portName : String.valueOf(portNumber);
    }

    @Override
    public String toString() {
        return target.toString();
    }
}
