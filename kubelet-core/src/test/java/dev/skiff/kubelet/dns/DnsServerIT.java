package dev.skiff.kubelet.dns;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded DNS server on real sockets, asked by dnsjava's own client over UDP and TCP: the cluster zone's A,
 * SRV and NXDOMAIN answers, records following a pod's changes through the indexer, and forwarding of other names
 * to an upstream server (a second instance serving its own zone, on loopback).
 */
class DnsServerIT {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private final List<Service> services = new CopyOnWriteArrayList<>();
    private DnsIndexer indexer;
    private DnsIndexer upstreamIndexer;
    private DnsServer server;
    private DnsServer upstream;

    @BeforeEach
    void start() throws Exception {
        upstreamIndexer = new DnsIndexer("upstream.test", () -> List.of(RecordIndexTest.headless("far", "db",
                Map.of("app", "web"))), Clock.systemUTC());
        upstreamIndexer.podStatusChanged(TestDnsPods.pod("far", "db-0"), TestDnsPods.status("10.9.0.1", true));
        upstreamIndexer.rebuild();
        upstream = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DnsAnswers(upstreamIndexer.index(), Forwarder.to(List.of(), List.of())));

        services.add(RecordIndexTest.headless("h7-dns", "nginx", Map.of("app", "web"),
                RecordIndexTest.port("http", 80, "TCP", new IntOrString(8080))));
        indexer = new DnsIndexer("cluster.local", () -> List.copyOf(services), Clock.systemUTC());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // the first bind picks the port; the forwarder must leave that address (itself) out
        server = DnsServer.start(any, new DnsAnswers(indexer.index(), Forwarder.to(List.of(upstream.address()),
                List.of())));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {server, upstream, indexer, upstreamIndexer}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private Message ask(String name, int type, boolean tcp) throws Exception {
        SimpleResolver r = new SimpleResolver(server.address());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(5));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).sorted().toList();
    }

    private Message awaitAddresses(String name, List<String> expected) throws Exception {
        Instant end = Instant.now().plus(DEADLINE);
        Message m = ask(name, Type.A, false);
        while (!addresses(m).equals(expected) && Instant.now().isBefore(end)) {
            Thread.sleep(50);
            m = ask(name, Type.A, false);
        }
        assertEquals(expected, addresses(m), m.toString());
        return m;
    }

    @Test
    void answersTheClusterZoneOverUdpAndTcp() throws Exception {
        indexer.podStatusChanged(TestDnsPods.pod("h7-dns", "web-0"),
                TestDnsPods.status("172.30.0.5", true));
        indexer.podStatusChanged(TestDnsPods.pod("h7-dns", "web-1"),
                TestDnsPods.status("172.30.0.6", true));
        Message a = awaitAddresses("nginx.h7-dns.svc.cluster.local.", List.of("172.30.0.5", "172.30.0.6"));
        assertTrue(a.getHeader().getFlag(Flags.AA), "authoritative for the cluster zone");
        assertEquals(List.of("172.30.0.5"), addresses(ask("web-0.nginx.h7-dns.svc.cluster.local.", Type.A, true)),
                "over TCP too");

        Message srv = ask("_http._tcp.nginx.h7-dns.svc.cluster.local.", Type.SRV, false);
        assertEquals(Rcode.NOERROR, srv.getRcode());
        List<Record> answers = srv.getSection(Section.ANSWER);
        assertEquals(2, answers.size(), srv.toString());
        assertEquals(8080, ((SRVRecord) answers.get(0)).getPort());
        assertEquals(2, srv.getSection(Section.ADDITIONAL).stream().filter(r -> r instanceof ARecord).count());

        Message nx = ask("nope.h7-dns.svc.cluster.local.", Type.A, false);
        assertEquals(Rcode.NXDOMAIN, nx.getRcode());
        assertEquals(Type.SOA, nx.getSection(Section.AUTHORITY).get(0).getType());
    }

    @Test
    void recordsFollowReadinessAddressChangesAndRemoval() throws Exception {
        String name = "web-0.nginx.h7-dns.svc.cluster.local.";
        indexer.podStatusChanged(TestDnsPods.pod("h7-dns", "web-0"),
                TestDnsPods.status("172.30.0.5", false));
        assertEquals(Rcode.NXDOMAIN, ask(name, Type.A, false).getRcode(), "not ready: no endpoint");
        indexer.podStatusChanged(TestDnsPods.pod("h7-dns", "web-0"),
                TestDnsPods.status("172.30.0.5", true));
        awaitAddresses(name, List.of("172.30.0.5"));
        indexer.podStatusChanged(TestDnsPods.pod("h7-dns", "web-0"),
                TestDnsPods.status("172.30.0.77", true));
        awaitAddresses(name, List.of("172.30.0.77"));
        indexer.podRemoved("uid-web-0");
        Instant end = Instant.now().plus(DEADLINE);
        while (ask(name, Type.A, false).getRcode() != Rcode.NXDOMAIN && Instant.now().isBefore(end)) {
            Thread.sleep(50);
        }
        assertEquals(Rcode.NXDOMAIN, ask(name, Type.A, false).getRcode());
    }

    @Test
    void otherNamesAreForwardedToTheUpstream() throws Exception {
        Message m = ask("db.far.svc.upstream.test.", Type.A, false);
        assertEquals(Rcode.NOERROR, m.getRcode(), m.toString());
        assertEquals(List.of("10.9.0.1"), addresses(m));
        assertFalse(m.getHeader().getFlag(Flags.AA) && m.getSection(Section.ANSWER).isEmpty());
        Message tcp = ask("db.far.svc.upstream.test.", Type.A, true);
        assertEquals(List.of("10.9.0.1"), addresses(tcp));
        assertEquals(Rcode.NXDOMAIN, ask("nothing.far.svc.upstream.test.", Type.A, false).getRcode(),
                "the upstream's NXDOMAIN passes through");
    }

    @Test
    void noUpstreamIsServfailAndItselfIsNeverAnUpstream() throws Exception {
        Forwarder selfOnly = Forwarder.to(List.of(server.address()), List.of(server.address()));
        assertTrue(selfOnly.upstreams().isEmpty(), "the server's own address is left out");
        try (DnsServer lone = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new DnsAnswers(indexer.index(), selfOnly))) {
            SimpleResolver r = new SimpleResolver(lone.address());
            r.setTimeout(Duration.ofSeconds(5));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("example.com."), Type.A, DClass.IN)));
            assertEquals(Rcode.SERVFAIL, m.getRcode());
        }
    }
}
