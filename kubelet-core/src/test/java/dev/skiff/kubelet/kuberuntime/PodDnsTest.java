package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.DNSConfig;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PodDnsTest {
    @TempDir
    Path dir;

    private Path resolvConf() throws Exception {
        return Files.writeString(dir.resolve("resolv.conf"), """
                # host resolver
                nameserver 192.168.1.1
                nameserver 192.168.1.2
                search old.example
                search corp.example. lab.example .
                options ndots:2 timeout:1
                options ndots:3 rotate
                """);
    }

    private DNSConfig dns(String spec, List<String> clusterDns) throws Exception {
        Pod pod = TestPods.pod(spec + """
                containers:
                - name: app
                  image: busybox:1.36
                """);
        return new PodDns(TestPods.node(dir, resolvConf(), clusterDns)).forPod(pod);
    }

    @Test
    void parsesResolvConfAsUpstream() throws Exception {
        ResolvConf rc = ResolvConf.read(resolvConf());
        assertEquals(List.of("192.168.1.1", "192.168.1.2"), rc.nameservers());
        assertEquals(List.of("corp.example", "lab.example"), rc.searches());
        assertEquals(List.of("ndots:3", "timeout:1", "rotate"), rc.options());
    }

    @Test
    void clusterFirst() throws Exception {
        DNSConfig d = dns("", List.of("10.96.0.10"));
        assertEquals(List.of("10.96.0.10"), d.getServersList());
        assertEquals(List.of("ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"),
                d.getSearchesList());
        assertEquals(List.of("ndots:5"), d.getOptionsList());
    }

    @Test
    void clusterFirstWithoutClusterDnsFallsBackToDefault() throws Exception {
        DNSConfig d = dns("", List.of());
        assertEquals(List.of("192.168.1.1", "192.168.1.2"), d.getServersList());
        assertEquals(List.of("corp.example", "lab.example"), d.getSearchesList());
        assertEquals(List.of("ndots:3", "timeout:1", "rotate"), d.getOptionsList());
    }

    @Test
    void clusterFirstOnHostNetworkIsDefaultUnlessWithHostNet() throws Exception {
        assertEquals(List.of("192.168.1.1", "192.168.1.2"), dns("hostNetwork: true\n", List.of("10.96.0.10")).getServersList());
        assertEquals(List.of("10.96.0.10"),
                dns("hostNetwork: true\ndnsPolicy: ClusterFirstWithHostNet\n", List.of("10.96.0.10")).getServersList());
    }

    @Test
    void defaultPolicy() throws Exception {
        DNSConfig d = dns("dnsPolicy: Default\n", List.of("10.96.0.10"));
        assertEquals(List.of("192.168.1.1", "192.168.1.2"), d.getServersList());
        assertEquals(List.of("corp.example", "lab.example"), d.getSearchesList());
    }

    @Test
    void defaultWithoutResolvConfUsesLocalhost() throws Exception {
        Pod pod = TestPods.pod("dnsPolicy: Default\ncontainers:\n- name: app\n  image: busybox:1.36\n");
        DNSConfig d = new PodDns(TestPods.node(dir, null, List.of())).forPod(pod);
        assertEquals(List.of("127.0.0.1"), d.getServersList());
        assertEquals(List.of("."), d.getSearchesList());
    }

    @Test
    void noneWithDnsConfig() throws Exception {
        DNSConfig d = dns("""
                dnsPolicy: None
                dnsConfig:
                  nameservers: ["1.1.1.1", "8.8.8.8", "1.1.1.1"]
                  searches: ["a.example"]
                  options:
                  - name: ndots
                    value: "1"
                  - name: edns0
                """, List.of("10.96.0.10"));
        assertEquals(List.of("1.1.1.1", "8.8.8.8"), d.getServersList());
        assertEquals(List.of("a.example"), d.getSearchesList());
        assertEquals(List.of("ndots:1", "edns0"), d.getOptionsList());
    }

    @Test
    void dnsConfigMergesIntoClusterFirst() throws Exception {
        DNSConfig d = dns("""
                dnsConfig:
                  nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"]
                  searches: ["cluster.local", "extra.example"]
                  options:
                  - name: ndots
                    value: "2"
                """, List.of("10.96.0.10"));
        assertEquals(List.of("10.96.0.10", "1.1.1.1", "2.2.2.2"), d.getServersList(), "at most 3 nameservers");
        assertEquals(List.of("ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example",
                "extra.example"), d.getSearchesList());
        assertEquals(List.of("ndots:2"), d.getOptionsList());
    }

    @Test
    void searchLimits() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add("d" + i + ".example");
        }
        assertEquals(32, PodDns.fitSearches(many).size());
        assertEquals(List.of("ok"), PodDns.fitSearches(List.of("x".repeat(254), "ok")));
        List<String> long_ = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long_.add(i + "x".repeat(249)); // 250 chars each: 10 of them + 9 spaces = 2509 > 2048
        }
        List<String> fitted = PodDns.fitSearches(long_);
        assertEquals(8, fitted.size());
        assertEquals(true, String.join(" ", fitted).length() <= 2048);
    }

    @Test
    void invalidPolicyRefused() {
        Pod pod = TestPods.pod("containers:\n- name: app\n  image: busybox:1.36\n");
        pod.getSpec().setDnsPolicy("Bogus");
        assertThrows(CreateConfigException.class, () -> new PodDns(TestPods.node(dir, null, List.of())).forPod(pod));
    }
}
