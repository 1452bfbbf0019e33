package dev.skiff.kubelet.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pod's /etc/hosts read inside its containers, byte for byte against upstream's format
 * (pkg/kubelet/kubelet_pods.go managedHostsFileContent and hostsEntriesFromHostAliases: header, localhost lines,
 * one line per pod IP with {@code <hostname>.<subdomain>.<ns>.svc.<clusterDomain>} when a subdomain is set,
 * then a blank line, a comment and one line per alias IP with its hostnames tab-separated).
 */
class PodNetworkFilesIT extends KubeletItSupport {
    private static final String CLUSTER_DOMAIN = "cluster.local";
    private static final String CLUSTER_DNS = "10.96.0.10";

    @Override
    String[] kubeletArgs() {
        return new String[] {"--cluster-domain", CLUSTER_DOMAIN, "--cluster-dns", CLUSTER_DNS};
    }

    @Test
    void fqdnAndHostAliasesInEtcHostsOfEveryContainer() throws Exception {
        String spec = "  hostname: db\n"
                + "  subdomain: backend\n"
                + "  hostAliases:\n"
                + "  - ip: 10.1.2.3\n"
                + "    hostnames: [foo.local, bar.local]\n"
                + "  - ip: 127.0.0.1\n"
                + "    hostnames: [baz.remote]\n";
        kubelet.writeManifest("hosts.yaml", podYaml("hosts", spec,
                container("a", "sleep 3600"), container("b", "sleep 3600")));
        Pod p = awaitRunning("hosts");
        List<String> ips = podIps(p);

        StringBuilder expected = new StringBuilder(localhostPart());
        for (String ip : ips) {
            expected.append(ip).append("\tdb.backend.").append(ns).append(".svc.").append(CLUSTER_DOMAIN).append("\tdb\n");
        }
        expected.append("\n# Entries added by HostAliases.\n")
                .append("10.1.2.3\tfoo.local\tbar.local\n")
                .append("127.0.0.1\tbaz.remote\n");

        for (String c : List.of("a", "b")) {
            assertEtcHosts(expected.toString(), dockerId(p, c));
        }
        assertEquals(expected.toString(), Files.readString(etcHostsFile(p), StandardCharsets.UTF_8));
        assertEquals("db", PodDocker.sh(dockerId(p, "a"), "hostname"), "kernel hostname is spec.hostname");
    }

    @Test
    void podNameAsHostnameWithoutAliases() throws Exception {
        kubelet.writeManifest("plain.yaml", podYaml("plain", "", container("a", "sleep 3600")));
        Pod p = awaitRunning("plain");
        StringBuilder expected = new StringBuilder(localhostPart());
        for (String ip : podIps(p)) {
            expected.append(ip).append('\t').append(kubelet.podName("plain")).append('\n');
        }
        assertEtcHosts(expected.toString(), dockerId(p, "a"));
        assertEquals(kubelet.podName("plain"), PodDocker.sh(dockerId(p, "a"), "hostname"));
    }

    /** dnsPolicy None: resolv.conf is exactly the pod's dnsConfig. */
    @Test
    void dnsPolicyNoneWritesTheDnsConfigAsResolvConf() throws Exception {
        kubelet.writeManifest("dns-none.yaml", podYaml("dns-none", """
                  dnsPolicy: None
                  dnsConfig:
                    nameservers: [192.0.2.53]
                    searches: [example.test]
                    options:
                    - name: ndots
                      value: "2"
                """, container("a", "sleep 3600")));
        Pod p = awaitRunning("dns-none");
        assertEquals("nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n",
                PodDocker.exec(dockerId(p, "a"), Duration.ofSeconds(20), "cat", "/etc/resolv.conf").stdout());
    }

    /** dnsPolicy ClusterFirst with --cluster-dns: the cluster server, the cluster search paths first, ndots:5. */
    @Test
    void dnsPolicyClusterFirstUsesTheClusterDns() throws Exception {
        kubelet.writeManifest("dns-cluster.yaml", podYaml("dns-cluster", "", container("a", "sleep 3600")));
        Pod p = awaitRunning("dns-cluster");
        String resolv = PodDocker.exec(dockerId(p, "a"), Duration.ofSeconds(20), "cat", "/etc/resolv.conf").stdout();
        List<String> lines = List.of(resolv.split("\n"));
        assertEquals("nameserver " + CLUSTER_DNS, lines.get(0), resolv);
        assertTrue(lines.get(1).startsWith("search " + ns + ".svc." + CLUSTER_DOMAIN + " svc." + CLUSTER_DOMAIN + " "
                + CLUSTER_DOMAIN), resolv);
        assertTrue(lines.contains("options ndots:5"), resolv);
    }

    private static String localhostPart() {
        return "# Kubernetes-managed hosts file.\n"
                + "127.0.0.1\tlocalhost\n"
                + "::1\tlocalhost ip6-localhost ip6-loopback\n"
                + "fe00::0\tip6-localnet\n"
                + "fe00::0\tip6-mcastprefix\n"
                + "fe00::1\tip6-allnodes\n"
                + "fe00::2\tip6-allrouters\n";
    }

    private static void assertEtcHosts(String expected, String containerId) throws InterruptedException {
        PodDocker.ExecResult r = PodDocker.exec(containerId, Duration.ofSeconds(20), "cat", "/etc/hosts");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(expected, r.stdout(), "/etc/hosts inside " + containerId);
        assertTrue(Arrays.equals(expected.getBytes(StandardCharsets.UTF_8), r.stdoutBytes()),
                "/etc/hosts bytes differ inside " + containerId);
    }

    /** The pod IPs from the status, after checking they are the sandbox's IPs in Docker. */
    private List<String> podIps(Pod p) {
        List<String> ips = new ArrayList<>();
        if (p.getStatus().getPodIPs() != null) {
            p.getStatus().getPodIPs().stream().map(PodIP::getIp).forEach(ips::add);
        }
        if (ips.isEmpty() && p.getStatus().getPodIP() != null) {
            ips.add(p.getStatus().getPodIP());
        }
        assertFalse(ips.isEmpty(), "no pod IP in status: " + kubelet.toJson(p.getStatus()));
        assertEquals(p.getStatus().getPodIP(), ips.get(0), "podIP is not podIPs[0]");

        InspectContainerResponse sandbox = PodDocker.inspect(PodDocker.sandboxes(uid(p)).get(0).getId()).orElseThrow();
        Map<String, ContainerNetwork> networks = sandbox.getNetworkSettings().getNetworks();
        Set<String> dockerIps = networks.values().stream().map(ContainerNetwork::getIpAddress)
                .filter(ip -> ip != null && !ip.isEmpty()).collect(Collectors.toSet());
        assertTrue(dockerIps.contains(ips.get(0)), "pod IP " + ips.get(0) + " is not the sandbox's IP in Docker " + dockerIps);
        return ips;
    }

    private Path etcHostsFile(Pod p) {
        return kubelet.rootDir().resolve("pods").resolve(uid(p)).resolve("etc-hosts");
    }
}
