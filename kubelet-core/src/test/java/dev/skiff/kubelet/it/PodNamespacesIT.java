package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * shareProcessNamespace, hostNetwork, hostPID and hostIPC, each seen from inside a container: the namespace links
 * ({@code readlink /proc/self/ns/...}) against the host's, processes, hostname, /etc/hosts. The host's namespaces are
 * read from this test JVM's own {@code /proc/self/ns} (it runs on the node, beside dockerd): {@code /proc/1/ns} is
 * not readable on every machine (e.g. when pid 1 is a supervisor under another user namespace).
 * Each host namespace is checked alone, with the other two still private, so a mix-up of the options shows.
 */
class PodNamespacesIT extends KubeletItSupport {

    @Test
    void sharedProcessNamespaceShowsTheOtherContainerAndPauseAsPid1() throws Exception {
        kubelet.writeManifest("shared.yaml", podYaml("shared", "  shareProcessNamespace: true\n",
                container("a", "sleep 3600"), container("b", "sleep 3601")));
        kubelet.writeManifest("private.yaml", podYaml("private", "",
                container("a", "sleep 3600"), container("b", "sleep 3601")));
        Pod shared = awaitRunning("shared");
        Pod priv = awaitRunning("private");

        String a = dockerId(shared, "a");
        String b = dockerId(shared, "b");
        String ps = PodDocker.sh(a, "ps");
        assertTrue(ps.contains("sleep 3601"), "container a does not see b's process:\n" + ps);
        String pid1 = PodDocker.sh(a, "tr '\\0' ' ' < /proc/1/cmdline");
        assertTrue(pid1.contains("pause"), "pid 1 is not the pause process: " + pid1);
        assertEquals(ns(a, "pid"), ns(b, "pid"));
        assertNotEquals(host("pid"), ns(a, "pid"));

        // control: without the option each container has its own pid namespace
        String privA = dockerId(priv, "a");
        String privPs = PodDocker.sh(privA, "ps");
        assertFalse(privPs.contains("sleep 3601"), "a private container sees its neighbour:\n" + privPs);
        assertNotEquals(ns(privA, "pid"), ns(dockerId(priv, "b"), "pid"));
        assertFalse(PodDocker.sh(privA, "tr '\\0' ' ' < /proc/1/cmdline").contains("pause"));
    }

    @Test
    void hostNetworkSharesTheNodesNetworkAndHostname() throws Exception {
        kubelet.writeManifest("hostnet.yaml", podYaml("hostnet", "  hostNetwork: true\n", container("a", "sleep 3600")));
        Pod p = awaitRunning("hostnet");
        String a = dockerId(p, "a");
        assertEquals(host("net"), ns(a, "net"), "not in the host's network namespace");
        assertNotEquals(host("pid"), ns(a, "pid"));
        assertNotEquals(host("ipc"), ns(a, "ipc"));
        String hostHostname = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
        assertEquals(hostHostname, PodDocker.sh(a, "hostname"));
        // upstream's host-network hosts file: its header, then the node's /etc/hosts as is
        String expected = "# Kubernetes-managed hosts file (host network).\n"
                + Files.readString(Path.of("/etc/hosts"), StandardCharsets.UTF_8);
        PodDocker.ExecResult hosts = PodDocker.exec(a, Duration.ofSeconds(20), "cat", "/etc/hosts");
        assertEquals(expected, hosts.stdout());
    }

    @Test
    void hostPidSeesTheNodesProcesses() throws Exception {
        kubelet.writeManifest("hostpid.yaml", podYaml("hostpid", "  hostPID: true\n", container("a", "sleep 3600")));
        Pod p = awaitRunning("hostpid");
        String a = dockerId(p, "a");
        assertEquals(host("pid"), ns(a, "pid"), "not in the host's pid namespace");
        assertNotEquals(host("net"), ns(a, "net"));
        assertNotEquals(host("ipc"), ns(a, "ipc"));
        long me = ProcessHandle.current().pid();
        assertEquals("yes", PodDocker.sh(a, "test -d /proc/" + me + " && echo yes || echo no"),
                "the test's own pid " + me + " is not visible inside");
        assertEquals("yes", PodDocker.sh(a, "test -d /proc/" + kubelet.process().pid() + " && echo yes || echo no"),
                "the kubelet's pid is not visible inside");
    }

    @Test
    void hostIpcSharesTheNodesIpcNamespace() throws Exception {
        kubelet.writeManifest("hostipc.yaml", podYaml("hostipc", "  hostIPC: true\n", container("a", "sleep 3600")));
        Pod p = awaitRunning("hostipc");
        String a = dockerId(p, "a");
        assertEquals(host("ipc"), ns(a, "ipc"), "not in the host's ipc namespace");
        assertNotEquals(host("net"), ns(a, "net"));
        assertNotEquals(host("pid"), ns(a, "pid"));
    }

    /** e.g. {@code net:[4026531840]} as seen inside the container. */
    private static String ns(String containerId, String kind) throws InterruptedException {
        return PodDocker.sh(containerId, "readlink /proc/self/ns/" + kind);
    }

    private static String host(String kind) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/" + kind)).toString();
    }
}
