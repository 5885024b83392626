package dev.podlb.core.internal;

import java.net.InetAddress;

/** An address range in CIDR notation ({@code 10.1.0.0/16}, {@code fd00:1::/64}) with a label. Immutable. */
public final class AddressRange {
    private final byte[] network;
    private final int prefix;
    private final String text;
    private final String label;

    private AddressRange(byte[] network, int prefix, String text, String label) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
        this.label = label;
    }

    /**
     * Parses {@code cidr}; host bits set after the prefix are refused, since they usually mean a
     * typing mistake.
     *
     * @throws IllegalArgumentException naming the range and the expected form
     */
    public static AddressRange parse(String cidr, String label) {
        String expected = "; expected an address range such as 10.1.0.0/16 or fd00:1::/64";
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("address range \"" + cidr + "\" has no /prefix" + expected);
        }
        InetAddress address = InetAddresses.parseLiteral(cidr.substring(0, slash).strip());
        if (address == null) {
            throw new IllegalArgumentException("address range \"" + cidr + "\" does not start with an IP address" + expected);
        }
        byte[] bytes = address.getAddress();
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address range \"" + cidr + "\" has prefix \"" + cidr.substring(slash + 1)
                    + "\", not a number" + expected);
        }
        if (prefix < 0 || prefix > bytes.length * 8) {
            throw new IllegalArgumentException("address range \"" + cidr + "\" has prefix " + prefix + "; expected 0 to "
                    + bytes.length * 8);
        }
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            if ((bytes[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                throw new IllegalArgumentException("address range \"" + cidr + "\" has bits set after its /" + prefix
                        + " prefix" + expected);
            }
        }
        return new AddressRange(bytes, prefix, cidr.strip(), label);
    }

    /** Whether {@code address} is in this range (an IPv4 address is never in an IPv6 range). */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return text + "=" + label;
    }
}
