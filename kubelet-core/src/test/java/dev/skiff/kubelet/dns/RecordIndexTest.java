package dev.skiff.kubelet.dns;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordIndexTest {
    private static final DnsPod.NamedPort WEB = new DnsPod.NamedPort("web", 8080, "TCP");

    static Service headless(String ns, String name, Map<String, String> selector, ServicePort... ports) {
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withClusterIP("None").withType("ClusterIP").withSelector(selector)
                .withPorts(ports).endSpec().build();
    }

    static ServicePort port(String name, int port, String protocol, IntOrString target) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol(protocol).withTargetPort(target)
                .build();
    }

    static DnsPod pod(String ns, String name, String ip, boolean ready, String hostname, String subdomain) {
        return new DnsPod("uid-" + name, ns, name, Map.of("app", "web"), hostname, subdomain, List.of(ip), ready,
                false, List.of(WEB));
    }

    private static Name name(String s) throws Exception {
        return Name.fromString(s);
    }

    private static List<String> addresses(RecordIndex.Answer a) {
        return a.answers().stream().map(r -> ((ARecord) r).getAddress().getHostAddress()).sorted().toList();
    }

    private final Service nginx = headless("shop", "nginx", Map.of("app", "web"),
            port("http", 80, "TCP", new IntOrString("web")), port("metrics", 9100, "TCP", new IntOrString(9100)));

    private RecordIndex index(DnsPod... pods) {
        return RecordIndex.build("cluster.local", 7, List.of(nginx), List.of(pods));
    }

    @Test
    void serviceNameHasTheReadyPodsAddresses() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"),
                pod("shop", "web-1", "172.17.0.6", true, "web-1", "nginx"),
                pod("shop", "web-2", "172.17.0.7", false, "web-2", "nginx"),
                pod("other", "web-3", "172.17.0.8", true, "web-3", "nginx"));
        RecordIndex.Answer a = idx.lookup(name("nginx.shop.svc.cluster.local."), Type.A);
        assertEquals(Rcode.NOERROR, a.rcode());
        assertEquals(List.of("172.17.0.5", "172.17.0.6"), addresses(a), "ready pods of the namespace only");
        assertEquals(5, a.answers().get(0).getTTL());
    }

    @Test
    void hostnameWithSubdomainNamesThePod() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"),
                pod("shop", "other", "172.17.0.9", true, "db", "elsewhere"));
        assertEquals(List.of("172.17.0.5"), addresses(idx.lookup(name("web-0.nginx.shop.svc.cluster.local."), Type.A)));
        assertEquals(List.of("172.17.0.5"), addresses(idx.lookup(name("WEB-0.Nginx.shop.svc.cluster.local."), Type.A)),
                "names are case-insensitive");
        // a pod whose subdomain is another Service's is an endpoint under its dashed IP, as CoreDNS names it
        assertEquals(List.of("172.17.0.9"),
                addresses(idx.lookup(name("172-17-0-9.nginx.shop.svc.cluster.local."), Type.A)));
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("db.nginx.shop.svc.cluster.local."), Type.A).rcode());
    }

    @Test
    void srvForNamedPortsWithTargetsAndAddresses() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"),
                pod("shop", "web-1", "172.17.0.6", true, "web-1", "nginx"));
        RecordIndex.Answer a = idx.lookup(name("_http._tcp.nginx.shop.svc.cluster.local."), Type.SRV);
        assertEquals(Rcode.NOERROR, a.rcode());
        assertEquals(2, a.answers().size());
        for (Record r : a.answers()) {
            SRVRecord srv = assertInstanceOf(SRVRecord.class, r);
            assertEquals(8080, srv.getPort(), "the named targetPort resolved to the pod's container port");
            assertEquals(0, srv.getPriority());
            assertEquals(50, srv.getWeight());
        }
        assertEquals(List.of("web-0.nginx.shop.svc.cluster.local.", "web-1.nginx.shop.svc.cluster.local."),
                a.answers().stream().map(r -> ((SRVRecord) r).getTarget().toString()).sorted().toList());
        assertEquals(2, a.additional().size(), "the targets' A records ride along");
        RecordIndex.Answer metrics = idx.lookup(name("_metrics._tcp.nginx.shop.svc.cluster.local."), Type.SRV);
        assertEquals(9100, ((SRVRecord) metrics.answers().get(0)).getPort());
        assertEquals(4, idx.lookup(name("nginx.shop.svc.cluster.local."), Type.SRV).answers().size(),
                "the service name has the SRV of every port of every endpoint");
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("_http._udp.nginx.shop.svc.cluster.local."), Type.SRV).rcode());
    }

    @Test
    void unknownNamesAreNxdomainWithTheSoa() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"));
        for (String n : List.of("nope.shop.svc.cluster.local.", "web-9.nginx.shop.svc.cluster.local.",
                "nginx.other.svc.cluster.local.", "x.cluster.local.")) {
            RecordIndex.Answer a = idx.lookup(name(n), Type.A);
            assertEquals(Rcode.NXDOMAIN, a.rcode(), n);
            assertInstanceOf(SOARecord.class, a.authority().get(0), n);
        }
    }

    @Test
    void existingNameWithoutThatTypeIsNodata() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"));
        RecordIndex.Answer aaaa = idx.lookup(name("nginx.shop.svc.cluster.local."), Type.AAAA);
        assertEquals(Rcode.NOERROR, aaaa.rcode());
        assertTrue(aaaa.answers().isEmpty());
        assertEquals(1, aaaa.authority().size());
        assertEquals(Rcode.NOERROR, idx.lookup(name("shop.svc.cluster.local."), Type.A).rcode(), "namespace");
        assertEquals(Type.SOA, idx.lookup(name("cluster.local."), Type.SOA).answers().get(0).getType());
    }

    @Test
    void headlessServiceWithoutReadyPodsIsNxdomain() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", false, "web-0", "nginx"));
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("nginx.shop.svc.cluster.local."), Type.A).rcode());
    }

    @Test
    void publishNotReadyAddressesServesUnreadyPodsButNeverTerminatingOnes() throws Exception {
        Service svc = headless("shop", "nginx", Map.of("app", "web"));
        svc.getSpec().setPublishNotReadyAddresses(true);
        DnsPod unready = pod("shop", "web-0", "172.17.0.5", false, "web-0", "nginx");
        DnsPod terminating = new DnsPod("u1", "shop", "web-1", Map.of("app", "web"), "web-1", "nginx",
                List.of("172.17.0.6"), true, true, List.of());
        RecordIndex idx = RecordIndex.build("cluster.local", 1, List.of(svc), List.of(unready, terminating));
        assertEquals(List.of("172.17.0.5"), addresses(idx.lookup(name("nginx.shop.svc.cluster.local."), Type.A)));
    }

    @Test
    void selectorMustMatchEveryLabelAndNoSelectorSelectsNothing() throws Exception {
        Service picky = headless("shop", "picky", Map.of("app", "web", "tier", "front"));
        Service none = headless("shop", "manual", Map.of());
        RecordIndex idx = RecordIndex.build("cluster.local", 1, List.of(picky, none),
                List.of(pod("shop", "web-0", "172.17.0.5", true, "", "")));
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("picky.shop.svc.cluster.local."), Type.A).rcode());
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("manual.shop.svc.cluster.local."), Type.A).rcode());
    }

    @Test
    void namesOutsideTheZoneAreNotOurs() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"));
        assertNull(idx.lookup(name("example.com."), Type.A));
        assertNull(idx.lookup(name("local."), Type.A));
        assertNull(idx.lookup(ReverseMap.fromAddress("192.0.2.1"), Type.PTR), "an unknown reverse name is forwarded");
    }

    @Test
    void reverseOfAnEndpointIsItsName() throws Exception {
        RecordIndex idx = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"));
        RecordIndex.Answer a = idx.lookup(ReverseMap.fromAddress("172.17.0.5"), Type.PTR);
        assertEquals("web-0.nginx.shop.svc.cluster.local.", ((PTRRecord) a.answers().get(0)).getTarget().toString());
    }

    @Test
    void podNamesAreDashedAddresses() throws Exception {
        RecordIndex idx = RecordIndex.empty("cluster.local");
        RecordIndex.Answer a = idx.lookup(name("10-1-2-3.any.pod.cluster.local."), Type.A);
        assertEquals(InetAddress.getByName("10.1.2.3"), ((ARecord) a.answers().get(0)).getAddress());
        assertEquals(Rcode.NXDOMAIN, idx.lookup(name("10-1-2-300.any.pod.cluster.local."), Type.A).rcode());
    }

    @Test
    void aRebuildFollowsAPodsNewAddress() throws Exception {
        RecordIndex before = index(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx"));
        RecordIndex after = index(pod("shop", "web-0", "172.17.0.9", true, "web-0", "nginx"));
        assertEquals(List.of("172.17.0.5"), addresses(before.lookup(name("web-0.nginx.shop.svc.cluster.local."), Type.A)));
        assertEquals(List.of("172.17.0.9"), addresses(after.lookup(name("web-0.nginx.shop.svc.cluster.local."), Type.A)));
    }

    @Test
    void otherClusterDomain() throws Exception {
        RecordIndex idx = RecordIndex.build("corp.internal", 1, List.of(nginx),
                List.of(pod("shop", "web-0", "172.17.0.5", true, "web-0", "nginx")));
        assertEquals(List.of("172.17.0.5"), addresses(idx.lookup(name("nginx.shop.svc.corp.internal."), Type.A)));
        assertNull(idx.lookup(name("nginx.shop.svc.cluster.local."), Type.A));
    }
}
