package dev.skiff.kubelet.dns;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The cluster zone's records, as CoreDNS's kubernetes plugin answers them for headless Services (with
 * {@code pods insecure}): built as a pure function of the Services and the pods, never changed afterwards (a new
 * index replaces it whole).
 * <ul>
 *   <li>{@code <svc>.<ns>.svc.<zone>}: A/AAAA of every endpoint (the selected pods with an IP that are ready, or
 *       all non-terminating ones with {@code publishNotReadyAddresses}), SRV of every endpoint port;</li>
 *   <li>{@code <endpoint>.<svc>.<ns>.svc.<zone>}: A/AAAA of one endpoint, where {@code <endpoint>} is the pod's
 *       {@code hostname} when its {@code subdomain} names the Service (as the endpoints controller sets it), else
 *       its IP with dashes;</li>
 *   <li>{@code _<port>._<proto>.<svc>.<ns>.svc.<zone>}: SRV for each named port, target the endpoint's name;</li>
 *   <li>the PTR of each endpoint IP, {@code <a-b-c-d>.<ns>.pod.<zone>} A records of any well-formed address;</li>
 *   <li>a headless Service without endpoints has no name (NXDOMAIN, as CoreDNS answers); a name that exists
 *       with no record of the asked type is NODATA; both carry the zone's SOA.</li>
 * </ul>
 */
public final class RecordIndex {
    /** CoreDNS's kubernetes plugin default TTL. */
    static final long TTL = 5;
    private static final Pattern DASHED_V4 = Pattern.compile("(\\d{1,3})-(\\d{1,3})-(\\d{1,3})-(\\d{1,3})");

    /** The answer to one question: rcode, answer/authority/additional sections. */
    public record Answer(int rcode, List<Record> answers, List<Record> authority, List<Record> additional) {
        public Answer {
            answers = List.copyOf(answers);
            authority = List.copyOf(authority);
            additional = List.copyOf(additional);
        }
    }

    private final Name zone;
    private final SOARecord soa;
    private final Map<Name, List<Record>> records;
    /** Names that exist (own records, or are above a name that has): NODATA rather than NXDOMAIN. */
    private final Set<Name> names;
    /** PTR records of endpoint IPs, by reverse name. */
    private final Map<Name, List<Record>> reverse;

    private RecordIndex(Name zone, long serial, Map<Name, List<Record>> records, Map<Name, List<Record>> reverse) {
        this.zone = zone;
        this.soa = new SOARecord(zone, DClass.IN, TTL, child(zone, "ns", "dns"), child(zone, "hostmaster"),
                serial, 7200, 1800, 86400, TTL);
        this.records = Map.copyOf(records);
        this.reverse = Map.copyOf(reverse);
        Set<Name> all = new HashSet<>();
        all.add(zone);
        all.add(child(zone, "svc"));
        all.add(child(zone, "pod"));
        for (Name n : records.keySet()) {
            for (Name p = n; p.subdomain(zone) && !p.equals(zone); p = new Name(p, 1)) {
                all.add(p);
            }
        }
        this.names = Set.copyOf(all);
    }

    /** The index of nothing: only the zone itself. */
    public static RecordIndex empty(String domain) {
        return new RecordIndex(zoneName(domain), 1, Map.of(), Map.of());
    }

    /**
     * The records of {@code services} (those Skiff serves: headless ClusterIP ones) and {@code pods} under
     * {@code domain}; {@code serial} is the SOA serial (it grows with each new index).
     */
    public static RecordIndex build(String domain, long serial, Collection<Service> services,
                                    Collection<DnsPod> pods) {
        Name zone = zoneName(domain);
        Map<Name, List<Record>> records = new HashMap<>();
        Map<Name, List<Record>> reverse = new HashMap<>();
        for (Service svc : services) {
            addService(zone, svc, pods, records, reverse);
        }
        weighSrv(records);
        return new RecordIndex(zone, serial, records, reverse);
    }

    private static void addService(Name zone, Service svc, Collection<DnsPod> pods, Map<Name, List<Record>> records,
                                   Map<Name, List<Record>> reverse) {
        String ns = svc.getMetadata().getNamespace() == null ? "default" : svc.getMetadata().getNamespace();
        String svcName = svc.getMetadata().getName();
        Map<String, String> selector = svc.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            return; // no selector: endpoints are someone else's to write; Skiff has none
        }
        boolean notReadyToo = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        Name base = child(zone, svcName, ns, "svc");
        List<DnsPod> selected = pods.stream()
                .filter(p -> p.namespace().equals(ns) && !p.terminating() && !p.ips().isEmpty()
                        && (p.ready() || notReadyToo) && p.labels().entrySet().containsAll(selector.entrySet()))
                .sorted(Comparator.comparing(DnsPod::name)).toList();
        List<ServicePort> ports = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
        for (DnsPod pod : selected) {
            boolean named = !pod.hostname().isEmpty() && pod.subdomain().equals(svcName);
            for (String ip : pod.ips()) {
                InetAddress addr = IpAddresses.parse(ip).orElse(null);
                if (addr == null) {
                    continue;
                }
                Name endpoint = named ? child(base, pod.hostname())
                        : child(base, ip.replace('.', '-').replace(':', '-'));
                add(records, address(base, addr));
                add(records, address(endpoint, addr));
                add(reverse, new PTRRecord(ReverseMap.fromAddress(addr), DClass.IN, TTL, endpoint));
                for (ServicePort port : ports) {
                    OptionalInt target = targetPort(pod, port);
                    if (target.isEmpty()) {
                        continue; // upstream: a named targetPort the pod lacks makes no endpoint port
                    }
                    String proto = port.getProtocol() == null ? "tcp" : port.getProtocol().toLowerCase(Locale.ROOT);
                    add(records, new SRVRecord(base, DClass.IN, TTL, 0, 0, target.getAsInt(), endpoint));
                    if (port.getName() != null && !port.getName().isEmpty()) {
                        Name srv = child(base, "_" + port.getName(), "_" + proto);
                        add(records, new SRVRecord(srv, DClass.IN, TTL, 0, 0, target.getAsInt(), endpoint));
                    }
                }
            }
        }
    }

    private static OptionalInt targetPort(DnsPod pod, ServicePort port) {
        IntOrString target = port.getTargetPort();
        if (target == null) {
            return port.getPort() == null ? OptionalInt.empty() : OptionalInt.of(port.getPort());
        }
        if (target.getStrVal() != null) {
            return pod.findPort(target.getStrVal(), port.getProtocol() == null ? "TCP" : port.getProtocol());
        }
        return target.getIntVal() == null ? OptionalInt.empty() : OptionalInt.of(target.getIntVal());
    }

    /** CoreDNS spreads the weight: each of n SRV records of a name gets 100/n. */
    private static void weighSrv(Map<Name, List<Record>> records) {
        for (Map.Entry<Name, List<Record>> e : records.entrySet()) {
            List<Record> srv = e.getValue().stream().filter(r -> r instanceof SRVRecord).toList();
            if (srv.isEmpty()) {
                continue;
            }
            int weight = Math.max(1, 100 / srv.size());
            List<Record> out = new ArrayList<>();
            for (Record r : e.getValue()) {
                if (r instanceof SRVRecord s) {
                    out.add(new SRVRecord(s.getName(), DClass.IN, TTL, 0, weight, s.getPort(), s.getTarget()));
                } else {
                    out.add(r);
                }
            }
            e.setValue(out);
        }
    }

    private static void add(Map<Name, List<Record>> map, Record r) {
        List<Record> list = map.computeIfAbsent(r.getName(), n -> new ArrayList<>());
        if (!list.contains(r)) {
            list.add(r);
        }
    }

    /** The cluster zone, e.g. {@code cluster.local.}. */
    public Name zone() {
        return zone;
    }

    /**
     * The answer to ({@code name}, {@code type}) when this index is authoritative for it (the cluster zone, or the
     * reverse name of an endpoint IP); null when the question is someone else's (to forward).
     */
    public Answer lookup(Name name, int type) {
        Name q = lower(name);
        if (!q.subdomain(zone)) {
            List<Record> ptr = reverse.get(q);
            if (ptr != null && (type == Type.PTR || type == Type.ANY)) {
                return new Answer(Rcode.NOERROR, ptr, List.of(), List.of());
            }
            return null;
        }
        List<Record> own = records.get(q);
        if (own == null) {
            own = podRecord(q);
        }
        if (q.equals(zone) && (type == Type.SOA || type == Type.ANY)) {
            return new Answer(Rcode.NOERROR, List.of(soa), List.of(), List.of());
        }
        if (own == null && !names.contains(q)) {
            return new Answer(Rcode.NXDOMAIN, List.of(), List.of(soa), List.of());
        }
        List<Record> answers = own == null ? List.of()
                : own.stream().filter(r -> type == Type.ANY || r.getType() == type).toList();
        if (answers.isEmpty()) {
            return new Answer(Rcode.NOERROR, List.of(), List.of(soa), List.of());
        }
        List<Record> additional = new ArrayList<>();
        for (Record r : answers) {
            if (r instanceof SRVRecord s) {
                for (Record a : records.getOrDefault(s.getTarget(), List.of())) {
                    if (!additional.contains(a)) {
                        additional.add(a);
                    }
                }
            }
        }
        return new Answer(Rcode.NOERROR, answers, List.of(), additional);
    }

    /** {@code pods insecure}: {@code 10-1-2-3.<ns>.pod.<zone>} is 10.1.2.3, whatever runs there. */
    private List<Record> podRecord(Name q) {
        if (q.labels() != zone.labels() + 3 || !lower(new Name(q, 2)).equals(child(zone, "pod"))) {
            return null;
        }
        var m = DASHED_V4.matcher(q.getLabelString(0));
        if (!m.matches()) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int octet = Integer.parseInt(m.group(i + 1));
            if (octet > 255) {
                return null;
            }
            bytes[i] = (byte) octet;
        }
        try {
            return List.of(new ARecord(q, DClass.IN, TTL, InetAddress.getByAddress(bytes)));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Record address(Name name, InetAddress addr) {
        return addr.getAddress().length == 4 ? new ARecord(name, DClass.IN, TTL, addr)
                : new AAAARecord(name, DClass.IN, TTL, addr);
    }

    static Name zoneName(String domain) {
        try {
            return lower(Name.fromString(domain.endsWith(".") ? domain : domain + ".", Name.root));
        } catch (TextParseException e) {
            throw new IllegalArgumentException("cluster domain " + domain + " is not a domain name: "
                    + e.getMessage(), e);
        }
    }

    /** {@code child(zone, "a", "b")} is {@code a.b.<zone>}. */
    static Name child(Name parent, String... labels) {
        try {
            return lower(Name.concatenate(Name.fromString(String.join(".", labels)), parent));
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("not a DNS name: " + String.join(".", labels) + "." + parent, e);
        }
    }

    private static Name lower(Name n) {
        return n.canonicalize();
    }

    /** The names with records, sorted: for logs and tests. */
    List<Name> names() {
        return records.keySet().stream().sorted().toList();
    }

    /** The SOA of the zone. */
    SOARecord soa() {
        return soa;
    }
}
