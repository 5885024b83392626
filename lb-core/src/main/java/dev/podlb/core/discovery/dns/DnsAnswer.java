package dev.podlb.core.discovery.dns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * What one question got: records, a negative answer (NXDOMAIN, or no records of the type), a CNAME
 * to ask next, or a failure; how long it may be used (its TTL, a negative answer's SOA minimum as
 * RFC 2308 says, never more than the maximum refresh) and when it came, so that a resolver reading
 * it from the cache later knows how long it has left. Immutable.
 */
final class DnsAnswer {
    /** CNAMEs followed for one name at most, as dnsjava's own lookups do. */
    static final int MAX_ALIASES = 8;

    private enum Kind { RECORDS, NO_SUCH_NAME, NO_RECORDS, ALIAS, FAILED }

    private final Kind kind;
    private final List<Record> records;
    private final List<Record> additional;
    private final Name alias;
    private final long lifetimeNanos;
    private final long receivedNanos;
    private final DnsQueryException failure;

    private DnsAnswer(Kind kind, List<Record> records, List<Record> additional, Name alias, long lifetimeNanos,
                      long receivedNanos, DnsQueryException failure) {
        this.kind = kind;
        this.records = records;
        this.additional = additional;
        this.alias = alias;
        this.lifetimeNanos = lifetimeNanos;
        this.receivedNanos = receivedNanos;
        this.failure = failure;
    }

    static DnsAnswer failed(DnsQueryException failure) {
        return new DnsAnswer(Kind.FAILED, List.of(), List.of(), null, 0, 0, failure);
    }

    /** Reads the server's {@code response} to the question {@code name}/{@code type}. */
    static DnsAnswer read(Name name, int type, Message response, long nowNanos, Duration maxLifetime) {
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return negative(Kind.NO_SUCH_NAME, response, nowNanos, maxLifetime);
        }
        if (rcode != Rcode.NOERROR) {
            return failed(new DnsQueryException("the server answered " + Rcode.string(rcode), isDefinite(rcode), null));
        }
        List<Record> answer = response.getSection(Section.ANSWER);
        Name current = name;
        long ttl = Long.MAX_VALUE;
        for (int aliases = 0; ; aliases++) {
            List<Record> matching = new ArrayList<>();
            CNAMERecord cname = null;
            for (Record record : answer) {
                if (record.getName().equals(current)) {
                    if (record.getType() == type) {
                        matching.add(record);
                    } else if (record instanceof CNAMERecord) {
                        cname = (CNAMERecord) record;
                    }
                }
            }
            if (!matching.isEmpty()) {
                List<Record> extra = type == Type.SRV ? targetAddresses(matching, response) : List.of();
                for (Record record : matching) {
                    ttl = Math.min(ttl, record.getTTL());
                }
                for (Record record : extra) {
                    ttl = Math.min(ttl, record.getTTL());
                }
                return new DnsAnswer(Kind.RECORDS, List.copyOf(matching), extra, null, lifetime(ttl, maxLifetime),
                        nowNanos, null);
            }
            if (cname == null) {
                break;
            }
            if (aliases == MAX_ALIASES) {
                return failed(new DnsQueryException(name + " is an alias more than " + MAX_ALIASES + " CNAMEs deep",
                        true, null));
            }
            ttl = Math.min(ttl, cname.getTTL());
            current = cname.getTarget();
        }
        if (current.equals(name)) {
            return negative(Kind.NO_RECORDS, response, nowNanos, maxLifetime);
        }
        // The answer stops at a CNAME whose target's records it does not hold: that name is asked next.
        return new DnsAnswer(Kind.ALIAS, List.of(), List.of(), current, lifetime(ttl, maxLifetime), nowNanos, null);
    }

    /** REFUSED, NOTIMP and NOTAUTH are answers that asking again soon will not change; SERVFAIL is not. */
    static boolean isDefinite(int rcode) {
        return rcode == Rcode.REFUSED || rcode == Rcode.NOTIMP || rcode == Rcode.NOTAUTH;
    }

    /** A negative answer lives as long as its SOA says (the lower of its TTL and its minimum); without one, not at all. */
    private static DnsAnswer negative(Kind kind, Message response, long nowNanos, Duration maxLifetime) {
        long ttl = 0;
        for (Record record : response.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord) {
                ttl = Math.min(record.getTTL(), ((SOARecord) record).getMinimum());
                break;
            }
        }
        return new DnsAnswer(kind, List.of(), List.of(), null, lifetime(ttl, maxLifetime), nowNanos, null);
    }

    /** The A and AAAA records of the additional section that belong to one of the SRV records' targets. */
    private static List<Record> targetAddresses(List<Record> srvRecords, Message response) {
        Set<Name> targets = new HashSet<>();
        for (Record record : srvRecords) {
            targets.add(((SRVRecord) record).getTarget());
        }
        List<Record> addresses = new ArrayList<>();
        for (Record record : response.getSection(Section.ADDITIONAL)) {
            if ((record.getType() == Type.A || record.getType() == Type.AAAA) && targets.contains(record.getName())) {
                addresses.add(record);
            }
        }
        return List.copyOf(addresses);
    }

    private static long lifetime(long ttlSeconds, Duration maxLifetime) {
        return Math.min(Duration.ofSeconds(ttlSeconds).toNanos(), maxLifetime.toNanos());
    }

    /** This answer, as the end of the CNAME {@code alias}: it may be used until the sooner of the two expires. */
    DnsAnswer reachedThrough(DnsAnswer alias) {
        if (kind == Kind.FAILED) {
            return this;
        }
        long expires = Math.min(receivedNanos + lifetimeNanos, alias.receivedNanos + alias.lifetimeNanos);
        return new DnsAnswer(kind, records, additional, this.alias, Math.max(0, expires - receivedNanos), receivedNanos,
                null);
    }

    /** The records of the type asked; empty unless DNS gave some. */
    List<Record> records() {
        return records;
    }

    /** The A and AAAA records the additional section held for {@code target}, an SRV record's target. */
    List<Record> additionalFor(Name target) {
        List<Record> addresses = new ArrayList<>();
        for (Record record : additional) {
            if (record.getName().equals(target)) {
                addresses.add(record);
            }
        }
        return addresses;
    }

    /** NXDOMAIN, or no records of the type asked. */
    boolean isNegative() {
        return kind == Kind.NO_SUCH_NAME || kind == Kind.NO_RECORDS;
    }

    boolean isNoSuchName() {
        return kind == Kind.NO_SUCH_NAME;
    }

    /** The name to ask next, when the answer stopped at a CNAME; else {@code null}. */
    Name alias() {
        return alias;
    }

    /** Why no answer came, or {@code null} when one did. */
    DnsQueryException failure() {
        return failure;
    }

    /** Nanoseconds until this answer expires; 0 for a failure, which is never kept. */
    long remainingNanos(long nowNanos) {
        return Math.max(0, receivedNanos + lifetimeNanos - nowNanos);
    }

    @Override
    public String toString() {
        return "DnsAnswer{" + kind + (records.isEmpty() ? "" : ", " + records) + (alias == null ? "" : ", alias " + alias)
                + (failure == null ? "" : ", " + failure.getMessage()) + "}";
    }
}
