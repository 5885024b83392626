package dev.podlb.core.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parses IP address literals without ever asking DNS. {@link InetAddress#getByName} would resolve
 * a host name it is handed, so text from configuration or from a request header goes through here.
 */
public final class InetAddresses {
    private InetAddresses() {}

    /**
     * Returns the address written in {@code text} (dotted IPv4, or IPv6 with or without brackets),
     * or {@code null} when the text is not an IP literal.
     */
    public static InetAddress parseLiteral(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        byte[] v4 = parseIpv4(text);
        if (v4 != null) {
            return byAddress(v4);
        }
        String v6 = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (v6.indexOf(':') < 0 || !v6.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            return null;
        }
        try {
            // Only hex digits, colons and dots reach here, which getByName parses as a literal, never a name.
            return InetAddress.getByName("[" + v6 + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Formats an address for an authority: {@code 10.0.0.1} or {@code [fd00::1]}. */
    public static String toUriHost(InetAddress address) {
        String host = address.getHostAddress();
        int scope = host.indexOf('%');
        if (scope >= 0) {
            host = host.substring(0, scope);
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private static byte[] parseIpv4(String text) {
        byte[] bytes = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                if (value == 0) {
                    return null; // a leading zero reads as octal to some parsers: refuse it
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else if (c == '.' && value >= 0 && part < 4) {
                bytes[part++] = (byte) value;
                value = -1;
            } else {
                return null;
            }
        }
        return part == 4 ? bytes : null;
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always a valid address", e);
        }
    }
}
