package dev.skiff.kubelet.kuberuntime;

import io.fabric8.kubernetes.api.model.HostAlias;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EtcHostsTest {
    private static final String LOCAL = """
            # Kubernetes-managed hosts file.
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            fe00::0\tip6-mcastprefix
            fe00::1\tip6-allnodes
            fe00::2\tip6-allrouters
            """;
    private static final List<HostAlias> ALIASES = List.of(
            new HostAlias(List.of("foo.local", "bar.local"), "127.0.0.1"),
            new HostAlias(List.of("foo.remote"), "10.1.2.3"));

    @Test
    void podNetworkWithoutSubdomain() {
        assertEquals(LOCAL + "172.17.0.2\tweb\n", EtcHosts.managedContent(List.of("172.17.0.2"), "web", "", null));
    }

    @Test
    void podNetworkWithSubdomainAndAliases() {
        String expected = LOCAL
                + "172.17.0.2\tweb.sub.ns.svc.cluster.local\tweb\n"
                + "fd00::2\tweb.sub.ns.svc.cluster.local\tweb\n"
                + "\n# Entries added by HostAliases.\n"
                + "127.0.0.1\tfoo.local\tbar.local\n"
                + "10.1.2.3\tfoo.remote\n";
        assertEquals(expected, EtcHosts.managedContent(List.of("172.17.0.2", "fd00::2"), "web", "sub.ns.svc.cluster.local", ALIASES));
    }

    @Test
    void hostNetworkCopiesTheNodeFile() {
        String node = "127.0.0.1 localhost\n192.168.1.10 myhost\n";
        assertEquals("# Kubernetes-managed hosts file (host network).\n" + node, EtcHosts.hostNetworkContent(node, List.of()));
        assertEquals("# Kubernetes-managed hosts file (host network).\n" + node
                        + "\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n",
                EtcHosts.hostNetworkContent(node, ALIASES));
    }

    @Test
    void writeIsAtomicAnd0644(@TempDir Path dir) throws Exception {
        Path podDir = dir.resolve("pods/uid1");
        Path f = EtcHosts.write(podDir, "one\n");
        assertEquals(podDir.resolve("etc-hosts"), f);
        f = EtcHosts.write(podDir, "two\n");
        assertEquals("two\n", Files.readString(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var files = Files.list(podDir)) {
            assertEquals(List.of(f), files.toList(), "no temp files left");
        }
    }
}
