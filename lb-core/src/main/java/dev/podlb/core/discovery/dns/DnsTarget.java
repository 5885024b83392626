package dev.podlb.core.discovery.dns;

import dev.podlb.core.discovery.Target;
import java.util.Locale;

/**
 * A parsed {@code dns:///} target: a host name and port resolved through A/AAAA records, or an SRV
 * name whose records give each pod's port and weight.
 * <ul>
 * <li>{@code dns:///backend.default.svc.cluster.local:8080} — A/AAAA, every pod on port 8080;</li>
 * <li>{@code dns:///_http._tcp.backend.default.svc.cluster.local} — SRV ({@code _<port-name>._<protocol>.<service>}).</li>
 * </ul>
 * A name ending with a dot is absolute; any other is expanded through the search domains.
 */
public final class DnsTarget {
    private static final String EXPECTED = "; expected dns:///<host>:<port> such as dns:///backend.default.svc.cluster.local:8080,"
            + " or an SRV name such as dns:///_http._tcp.backend.default.svc.cluster.local";

    private final Target target;
    private final String name;
    private final int port;

    private DnsTarget(Target target, String name, int port) {
        this.target = target;
        this.name = name;
        this.port = port;
    }

    public static DnsTarget parse(String target) {
        return parse(Target.parse(target));
    }

    /** Checks the host name and port of a {@code dns:///} target, with a message naming what is wrong. */
    public static DnsTarget parse(Target target) {
        if (!target.scheme().equals("dns")) {
            throw new IllegalArgumentException("target \"" + target + "\" is not a dns target" + EXPECTED);
        }
        String path = target.path();
        if (path.startsWith("_")) {
            if (path.indexOf(':') >= 0) {
                throw new IllegalArgumentException("target \"" + target + "\" is an SRV name with a port; SRV records give"
                        + " the port, so expected dns:///" + path.substring(0, path.indexOf(':')));
            }
            checkName(target, path);
            if (labels(path) < 3) {
                throw new IllegalArgumentException("target \"" + target + "\": SRV name \"" + path
                        + "\" is incomplete; expected _<port-name>._<protocol>.<service>, such as _http._tcp.backend");
            }
            return new DnsTarget(target, path.toLowerCase(Locale.ROOT), -1);
        }
        int colon = path.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("target \"" + target + "\" has no port" + EXPECTED);
        }
        String host = path.substring(0, colon);
        String portText = path.substring(colon + 1);
        if (host.indexOf(':') >= 0 || host.startsWith("[") || host.substring(host.lastIndexOf('.') + 1).matches("[0-9]+")) {
            throw new IllegalArgumentException("target \"" + target + "\" names an IP address, not a DNS name;"
                    + " expected a static:/// target for fixed addresses" + EXPECTED);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target \"" + target + "\": port \"" + portText + "\" is not a number" + EXPECTED);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("target \"" + target + "\": port " + port + " is out of range; expected 1 to 65535");
        }
        checkName(target, host);
        return new DnsTarget(target, host.toLowerCase(Locale.ROOT), port);
    }

    private static void checkName(Target target, String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("target \"" + target + "\" has no host name" + EXPECTED);
        }
        String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (bare.length() > 253) {
            throw new IllegalArgumentException("target \"" + target + "\": host name is " + bare.length()
                    + " characters long; expected at most 253");
        }
        for (String label : bare.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("target \"" + target + "\": host name \"" + name + "\" has "
                        + (label.isEmpty() ? "an empty label" : "a label longer than 63 characters") + EXPECTED);
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                        || (c == '_' && i == 0);
                if (!ok) {
                    throw new IllegalArgumentException("target \"" + target + "\": host name \"" + name
                            + "\" contains '" + c + "'; expected letters, digits, '-' and dots" + EXPECTED);
                }
            }
        }
    }

    private static int labels(String name) {
        return name.split("\\.").length;
    }

    /** The name queried, as written (lower case). */
    public String name() {
        return name;
    }

    /** Whether SRV records are queried (they give ports), rather than A/AAAA records. */
    public boolean isSrv() {
        return port < 0;
    }

    /** The port of every pod, for an A/AAAA target; -1 for SRV. */
    public int port() {
        return port;
    }

    @Override
    public String toString() {
        return target.toString();
    }
}
