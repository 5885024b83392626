package dev.podlb.core.discovery.dns;

/** Which address records a DNS resolver asks for. */
public enum IpFamily {
    /** A records only. */
    IPV4,
    /** AAAA records only. */
    IPV6,
    /** A and AAAA records, as a dual-stack Service answers. */
    BOTH;

    boolean wantsV4() {
        return this != IPV6;
    }

    boolean wantsV6() {
        return this != IPV4;
    }
}
