package dev.skiff.kubelet.it;

import dev.skiff.kubelet.dns.ClusterDns;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Skiff's embedded cluster DNS seen from inside real pods: a headless Service in the manifest directory and two
 * pods with hostname and subdomain; busybox's nslookup in one pod resolves the other by its FQDN and, through the
 * search path, by {@code <hostname>.<service>}; the Service's name lists only ready pods; a recreated pod's new
 * address is followed. The kubelet serves DNS on the Docker bridge gateway (port 53), as it does by default.
 */
@Tag("serial") // binds port 53 on the Docker bridge gateway
class DnsPodsIT extends KubeletItSupport {
    private static final Duration DNS_DEADLINE = Duration.ofSeconds(30);
    private static final Pattern ADDRESS = Pattern.compile("(?m)^Address(?: \\d+)?:\\s+(\\d+\\.\\d+\\.\\d+\\.\\d+)\\s*$");
    private static final String GATEWAY = ClusterDns.bridgeGateway().map(InetAddress::getHostAddress)
            .orElseThrow(() -> new IllegalStateException("no docker0 bridge on this host: Docker's default bridge "
                    + "network is what Skiff's pods use"));

    @Override
    String[] kubeletArgs() {
        return new String[] {"--embedded-dns=true", "--cluster-dns", GATEWAY};
    }

    private String service() {
        return "apiVersion: v1\nkind: Service\nmetadata:\n  name: h7web\n  namespace: " + ns + "\nspec:\n"
                + "  clusterIP: None\n  selector: {h7-app: web}\n  ports:\n  - name: http\n    port: 80\n";
    }

    /** A pod of the Service: hostname {@code name}, subdomain h7web; {@code readyFile} gates its readiness. */
    private String member(String name, String version, boolean gated) {
        String probe = gated ? "    readinessProbe:\n      exec: {command: [test, -f, /tmp/ready]}\n"
                + "      periodSeconds: 1\n" : "";
        return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n"
                + "  labels: {h7-app: web}\n  annotations: {h7/version: \"" + version + "\"}\nspec:\n"
                + "  terminationGracePeriodSeconds: 1\n  hostname: " + name + "\n  subdomain: h7web\n"
                + "  containers:\n" + container("c", "sleep 3600") + probe;
    }

    private String fqdn(String host) {
        return host + ".h7web." + ns + ".svc.cluster.local";
    }

    /**
     * busybox nslookup inside {@code containerId}: the answer's IPv4 addresses (not the server's), or empty when
     * there is none. A name without a dot is tried with each search path.
     */
    private static List<String> nslookup(String containerId, String name) throws InterruptedException {
        PodDocker.ExecResult r = PodDocker.exec(containerId, Duration.ofSeconds(20), "nslookup", "-type=a", name);
        String out = r.stdout();
        int answers = out.indexOf("Name:");
        if (answers < 0) {
            return List.of(); // no answer (NXDOMAIN); a searched name also reports the search paths that failed
        }
        Matcher m = ADDRESS.matcher(out.substring(answers));
        List<String> ips = new java.util.ArrayList<>();
        while (m.find()) {
            ips.add(m.group(1));
        }
        return ips.stream().distinct().sorted().toList();
    }

    private static List<String> awaitLookup(String containerId, String name, List<String> expected)
            throws InterruptedException {
        Instant end = Instant.now().plus(DNS_DEADLINE);
        List<String> got = nslookup(containerId, name);
        while (!got.equals(expected) && Instant.now().isBefore(end)) {
            Thread.sleep(200);
            got = nslookup(containerId, name);
        }
        assertEquals(expected, got, "nslookup " + name + " in " + containerId + ": "
                + PodDocker.exec(containerId, Duration.ofSeconds(20), "nslookup", "-type=a", name).stdout());
        return got;
    }

    /**
     * The address the container's C library resolver finds for {@code name}: busybox's ping prints it
     * ({@code PING name (ip)}) before sending anything; whether the ping is answered does not matter.
     */
    private static String libcLookup(String containerId, String name) throws InterruptedException {
        PodDocker.ExecResult r = PodDocker.exec(containerId, Duration.ofSeconds(20), "ping", "-c", "1", "-W", "1",
                name);
        Matcher m = Pattern.compile("PING " + Pattern.quote(name) + " \\(([0-9.]+)\\)")
                .matcher(r.stdout() + r.stderr());
        return m.find() ? m.group(1) : "";
    }

    private static void awaitLibcLookup(String containerId, String name, String expected)
            throws InterruptedException {
        Instant end = Instant.now().plus(DNS_DEADLINE);
        String got = libcLookup(containerId, name);
        while (!got.equals(expected) && Instant.now().isBefore(end)) {
            Thread.sleep(200);
            got = libcLookup(containerId, name);
        }
        assertEquals(expected, got, "ping " + name + " in " + containerId);
    }

    @Test
    void podsResolveEachOtherThroughTheHeadlessService() throws Exception {
        kubelet.writeManifest("h7web-svc.yaml", service());
        kubelet.writeManifest("web-0.yaml", member("web-0", "1", false));
        kubelet.writeManifest("web-1.yaml", member("web-1", "1", true));
        Pod web0 = awaitRunning("web-0");
        Pod web1 = awaitRunning("web-1");
        String ip0 = web0.getStatus().getPodIP();
        String ip1 = web1.getStatus().getPodIP();
        String in1 = dockerId(web1, "c");

        String resolv = PodDocker.exec(in1, Duration.ofSeconds(20), "cat", "/etc/resolv.conf").stdout();
        assertTrue(resolv.startsWith("nameserver " + GATEWAY + "\nsearch " + ns + ".svc.cluster.local svc.cluster.local"
                + " cluster.local"), resolv);
        assertTrue(resolv.contains("options ndots:5"), resolv);

        awaitLookup(in1, fqdn("web-0"), List.of(ip0));
        // through the search path and ndots:5, as the C library resolves (busybox's nslookup searches only for
        // names without a dot)
        awaitLibcLookup(in1, "web-0.h7web", ip0);
        // web-1 is not ready (its probe's file is missing): the Service's name has web-0 only
        awaitLookup(in1, "h7web." + ns + ".svc.cluster.local", List.of(ip0));
        PodDocker.sh(in1, "touch /tmp/ready");
        awaitLookup(in1, "h7web", sortedOf(ip0, ip1));
        assertEquals(List.of(), nslookup(in1, "nobody.h7web." + ns + ".svc.cluster.local"), "NXDOMAIN");

        // web-0 goes: its name goes with it; a new web-0 (another sandbox, likely another address) is followed
        kubelet.deleteManifest("web-0.yaml");
        kubelet.awaitPodGone("web-0", Duration.ofSeconds(60));
        awaitLookup(in1, fqdn("web-0"), List.of());
        // takes the address web-0 left, if Docker hands it out next, so the new web-0 most likely gets another
        kubelet.writeManifest("filler.yaml", podYaml("filler", "", container("c", "sleep 3600")));
        awaitRunning("filler");
        kubelet.writeManifest("web-0.yaml", member("web-0", "2", false));
        Pod again = kubelet.awaitPod("web-0", p -> allRunning(p) && !uid(p).equals(uid(web0)), RUNNING_TIMEOUT,
                "the new web-0 running");
        String newIp = again.getStatus().getPodIP();
        assertFalse(newIp == null || newIp.isEmpty());
        awaitLookup(in1, fqdn("web-0"), List.of(newIp));
        awaitLookup(in1, "h7web", sortedOf(newIp, ip1));
    }

    @Test
    void namesOutsideTheClusterAreForwardedAndPodNamesResolve() throws Exception {
        kubelet.writeManifest("asker.yaml", podYaml("asker", "", container("c", "sleep 3600")));
        Pod asker = awaitRunning("asker");
        String in = dockerId(asker, "c");
        String ip = asker.getStatus().getPodIP();
        awaitLookup(in, ip.replace('.', '-') + "." + ns + ".pod.cluster.local", List.of(ip));
        // a name outside the cluster goes to the host's resolvers (the forwarder); whatever they say (NXDOMAIN, or
        // SERVFAIL when they cannot be reached), the pod gets an answer from the cluster DNS, not a timeout
        PodDocker.ExecResult r = PodDocker.exec(in, Duration.ofSeconds(30), "nslookup", "-type=a",
                "h7-no-such-name.invalid");
        assertTrue(r.stdout().contains("Server:") && r.stdout().contains(GATEWAY), r.stdout() + r.stderr());
        assertFalse(r.stdout().contains("timed out") || r.stderr().contains("timed out"), r.stdout() + r.stderr());
    }

    private static List<String> sortedOf(String... ips) {
        return java.util.Arrays.stream(ips).sorted().toList();
    }
}
