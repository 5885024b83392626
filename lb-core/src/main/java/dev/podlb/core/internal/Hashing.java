package dev.podlb.core.internal;

/**
 * Stable 64-bit hashing. Every client replica must compute the same values, in any JVM and any
 * release of podlb, so nothing here may depend on {@code Object.hashCode()} or on a random seed.
 */
public final class Hashing {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Hashing() {}

    /** Murmur3's 64-bit finaliser: every input bit flips about half of the output bits. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /**
     * Hash of a sticky-session key. {@link String#hashCode()} is specified by the Java language,
     * so it is the same in every JVM, and a String caches it; the finaliser spreads its 32 bits
     * over 64 so that the top bits, which choose a slot, are uniform.
     */
    public static long ofKey(String key) {
        return mix64(key.hashCode() * GOLDEN + 0x632BE59BD9B4E019L);
    }

    /**
     * A 64-bit hash of every character of {@code text}, for keys that are remembered rather than
     * placed (the affinity memory): unlike {@link #ofKey}, two keys rarely share one by chance.
     */
    public static long ofText(CharSequence text) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < text.length(); i++) {
            h = (h ^ text.charAt(i)) * 0x100000001B3L;
        }
        return mix64(h ^ text.length());
    }

    /** Hash of an endpoint's identity: its address bytes and port. */
    public static long ofAddress(byte[] address, int port) {
        long h = mix64(address.length * GOLDEN ^ port);
        for (int i = 0; i < address.length; i += 4) {
            int word = ((address[i] & 0xFF) << 24) | ((address[i + 1] & 0xFF) << 16)
                    | ((address[i + 2] & 0xFF) << 8) | (address[i + 3] & 0xFF);
            h = mix64(h * GOLDEN + (word & 0xFFFFFFFFL));
        }
        return h;
    }
}
