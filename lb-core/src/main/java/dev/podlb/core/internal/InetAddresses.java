package dev.podlb.core.internal;

import java.net.Inet6Address;
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

    /**
     * The address without the host name a resolver may have attached to it (dnsjava names each
     * address after its record), keeping an IPv6 scope: an endpoint is its address alone.
     */
    public static InetAddress bare(InetAddress address) {
        try {
            if (address instanceof Inet6Address && ((Inet6Address) address).getScopeId() != 0) {
                return Inet6Address.getByAddress(null, address.getAddress(), ((Inet6Address) address).getScopeId());
            }
            return InetAddress.getByAddress(address.getAddress());
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException("address of " + address.getAddress().length + " bytes", impossible);
        }
    }

    /** Formats an address for an authority: {@code 10.0.0.1}, or IPv6 in RFC 5952's short form, {@code [fd00::1]}. */
    public static String toUriHost(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 4 ? address.getHostAddress() : "[" + formatIpv6(bytes) + "]";
    }

    /** RFC 5952: lower-case hex without leading zeros, the longest run of two or more zero groups as {@code ::}. */
    private static String formatIpv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
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
