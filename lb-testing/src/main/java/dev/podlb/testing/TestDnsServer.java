package dev.podlb.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An authoritative DNS server for tests, over real UDP and TCP on 127.0.0.1, built on dnsjava's
 * wire classes. Its records and its behaviour (answer, SERVFAIL, REFUSED, silence, garbage, a wrong
 * query id) change at run time. UDP answers larger than the client's buffer are truncated, as a
 * real server truncates them, so that clients must retry over TCP. Negative answers carry a zone's
 * SOA when one is set ({@link #soa}), and SRV answers their targets' addresses in the additional
 * section when asked to ({@link #additionalForSrv}), as CoreDNS sends them for a headless Service.
 * One question can misbehave while the others are answered ({@link #mode(String, int, Mode)}), and
 * the server can be authoritative for some zones only, refusing every name outside them
 * ({@link #zones}), as an authoritative server without recursion, or a resolver that will not
 * forward, answers.
 */
public final class TestDnsServer implements AutoCloseable {
    public enum Mode { ANSWER, SERVFAIL, REFUSED, SILENT, GARBAGE, WRONG_ID }

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private final Map<Name, Long> negativeTtls = new ConcurrentHashMap<>();
    private final AtomicInteger allQueries = new AtomicInteger();
    private volatile boolean additionalForSrv;
    private final AtomicInteger udpQueries = new AtomicInteger();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private volatile Mode mode = Mode.ANSWER;
    /** Modes of single questions (name/type), over the server's own. */
    private final Map<String, Mode> questionModes = new ConcurrentHashMap<>();
    /** The zones answered for; empty: every name. */
    private volatile List<Name> zones = List.of();

    public TestDnsServer() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        DatagramSocket boundUdp = null;
        ServerSocket boundTcp = null;
        for (int attempt = 0; boundTcp == null; attempt++) {
            boundUdp = new DatagramSocket(new InetSocketAddress(loopback, 0));
            try {
                boundTcp = new ServerSocket(boundUdp.getLocalPort(), 50, loopback);
            } catch (IOException portTakenForTcp) {
                boundUdp.close();
                if (attempt == 20) {
                    throw portTakenForTcp;
                }
            }
        }
        this.udp = boundUdp;
        this.tcp = boundTcp;
        start("test-dns-udp", this::serveUdp);
        start("test-dns-tcp", this::serveTcp);
    }

    private static void start(String name, Runnable loop) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        t.start();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** How the server answers every question, unless {@link #mode(String, int, Mode)} set one for it. */
    public void mode(Mode mode) {
        this.mode = mode;
    }

    /**
     * How the server answers questions for {@code name} (absolute, without the final dot) and
     * {@code type} ({@link Type#A}, {@link Type#AAAA}, …), whatever the server's own mode: SERVFAIL
     * for AAAA alone, say, while A is answered. {@code null} returns the question to the server's mode.
     */
    public void mode(String name, int type, Mode mode) {
        String question = name(name) + "/" + Type.string(type);
        if (mode == null) {
            questionModes.remove(question);
        } else {
            questionModes.put(question, mode);
        }
    }

    /**
     * Answers only names at or under {@code zones} (absolute, without the final dot), and REFUSED
     * for any other name, as a server authoritative for those zones alone does. With no zone, the
     * default, every name is answered.
     */
    public void zones(String... zones) {
        List<Name> names = new ArrayList<>();
        for (String zone : zones) {
            names.add(name(zone));
        }
        this.zones = List.copyOf(names);
    }

    /**
     * Replaces the A records of {@code name} (absolute, without the final dot). With no address
     * the name still exists: an A query gets an empty answer (NOERROR), not NXDOMAIN.
     */
    public void a(String name, long ttl, String... addresses) {
        List<Record> list = new ArrayList<>();
        for (String address : addresses) {
            list.add(new ARecord(name(name), DClass.IN, ttl, parse(address)));
        }
        replace(name, Type.A, list);
    }

    public void aaaa(String name, long ttl, String... addresses) {
        List<Record> list = new ArrayList<>();
        for (String address : addresses) {
            list.add(new AAAARecord(name(name), DClass.IN, ttl, parse(address)));
        }
        replace(name, Type.AAAA, list);
    }

    /** Replaces the SRV records of {@code name}: each target is {@code host:port:weight}. */
    public void srv(String name, long ttl, String... targets) {
        List<Record> list = new ArrayList<>();
        for (String target : targets) {
            String[] parts = target.split(":");
            list.add(new SRVRecord(name(name), DClass.IN, ttl, 0, Integer.parseInt(parts[2]), Integer.parseInt(parts[1]),
                    name(parts[0])));
        }
        replace(name, Type.SRV, list);
    }

    /** Removes every record of {@code name}: it answers NXDOMAIN. */
    public void remove(String name) {
        records.remove(name(name));
    }

    /**
     * Makes negative answers (NXDOMAIN, and empty answers) for names at or under {@code zone} carry
     * the zone's SOA, whose minimum, {@code negativeTtl} seconds, is how long they may be cached
     * (RFC 2308). Without one, negative answers carry no SOA.
     */
    public void soa(String zone, long negativeTtl) {
        negativeTtls.put(name(zone), negativeTtl);
    }

    /** Whether SRV answers carry the A and AAAA records of their targets in the additional section. */
    public void additionalForSrv(boolean include) {
        this.additionalForSrv = include;
    }

    public int queries(String name, int type) {
        AtomicInteger n = queries.get(name(name) + "/" + Type.string(type));
        return n == null ? 0 : n.get();
    }

    /** Every query received, whatever its name and type. */
    public int queries() {
        return allQueries.get();
    }

    /** Queries received of {@code type}, whatever their name. */
    public int queries(int type) {
        int n = 0;
        for (Map.Entry<String, AtomicInteger> entry : queries.entrySet()) {
            if (entry.getKey().endsWith("/" + Type.string(type))) {
                n += entry.getValue().get();
            }
        }
        return n;
    }

    public int udpQueries() {
        return udpQueries.get();
    }

    public int tcpQueries() {
        return tcpQueries.get();
    }

    private void replace(String name, int type, List<Record> list) {
        records.compute(name(name), (key, old) -> {
            List<Record> next = new ArrayList<>();
            if (old != null) {
                for (Record r : old) {
                    if (r.getType() != type) {
                        next.add(r);
                    }
                }
            }
            next.addAll(list);
            return next;
        });
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static InetAddress parse(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private void serveUdp() {
        byte[] buffer = new byte[65535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udp.receive(packet);
                udpQueries.incrementAndGet();
                Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                byte[] answer = answer(query, true);
                if (answer != null) {
                    udp.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                }
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                // An unreadable query gets no answer, as from a real server.
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket socket = tcp.accept();
                start("test-dns-tcp-connection", () -> serveConnection(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serveConnection(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (true) {
                int length = in.readUnsignedShort();
                byte[] bytes = new byte[length];
                in.readFully(bytes);
                tcpQueries.incrementAndGet();
                byte[] answer = answer(new Message(bytes), false);
                if (answer != null) {
                    out.writeShort(answer.length);
                    out.write(answer);
                    out.flush();
                }
            }
        } catch (IOException endOfConnection) {
            // The client closed it, or the server is closing.
        }
    }

    private byte[] answer(Message query, boolean overUdp) {
        Record question = query.getQuestion();
        queries.computeIfAbsent(question.getName() + "/" + Type.string(question.getType()), k -> new AtomicInteger())
                .incrementAndGet();
        allQueries.incrementAndGet();
        Mode now = questionModes.getOrDefault(question.getName() + "/" + Type.string(question.getType()), mode);
        if (now == Mode.ANSWER && !inZones(question.getName())) {
            now = Mode.REFUSED;
        }
        if (now == Mode.SILENT) {
            return null;
        }
        if (now == Mode.GARBAGE) {
            return new byte[] {(byte) (query.getHeader().getID() >> 8), (byte) query.getHeader().getID(), (byte) 0x81, 0,
                    0, 1, 0, 7, 0x3f, 0x3f, 0x3f};
        }
        Message response = new Message(now == Mode.WRONG_ID ? (query.getHeader().getID() + 1) & 0xffff
                : query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        if (now == Mode.SERVFAIL || now == Mode.REFUSED) {
            response.getHeader().setRcode(now == Mode.SERVFAIL ? Rcode.SERVFAIL : Rcode.REFUSED);
            return response.toWire();
        }
        List<Record> known = records.get(question.getName());
        if (known == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            addSoa(response, question.getName());
            return response.toWire();
        }
        for (Record record : known) {
            if (record.getType() == question.getType()) {
                response.addRecord(record, Section.ANSWER);
                if (record instanceof SRVRecord && additionalForSrv) {
                    addAddresses(response, ((SRVRecord) record).getTarget());
                }
            }
        }
        if (response.getSection(Section.ANSWER).isEmpty()) {
            addSoa(response, question.getName());
        }
        byte[] wire = response.toWire();
        OPTRecord opt = query.getOPT();
        int limit = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        if (overUdp && wire.length > limit) {
            Message truncated = new Message(response.getHeader().getID());
            truncated.getHeader().setFlag(Flags.QR);
            truncated.getHeader().setFlag(Flags.AA);
            truncated.getHeader().setFlag(Flags.TC);
            truncated.addRecord(question, Section.QUESTION);
            return truncated.toWire();
        }
        return wire;
    }

    private boolean inZones(Name name) {
        List<Name> answered = zones;
        if (answered.isEmpty()) {
            return true;
        }
        for (Name zone : answered) {
            if (name.subdomain(zone)) {
                return true;
            }
        }
        return false;
    }

    /** The SOA of the closest zone set with {@link #soa} that holds {@code name}, in the authority section. */
    private void addSoa(Message response, Name name) {
        for (Name zone = name; zone.labels() > 1; zone = new Name(zone, 1)) {
            Long ttl = negativeTtls.get(zone);
            if (ttl != null) {
                response.addRecord(new SOARecord(zone, DClass.IN, ttl, name("ns.dns." + zone), name("hostmaster." + zone),
                        1, 7200, 1800, 86400, ttl), Section.AUTHORITY);
                return;
            }
        }
    }

    private void addAddresses(Message response, Name target) {
        List<Record> known = records.get(target);
        if (known != null) {
            for (Record record : known) {
                if (record.getType() == Type.A || record.getType() == Type.AAAA) {
                    response.addRecord(record, Section.ADDITIONAL);
                }
            }
        }
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
    }
}
