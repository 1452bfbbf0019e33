package dev.skiff.cri.docker;

import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.DNSConfig;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.cri.v1.Mount;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.PodSandboxConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static dev.skiff.cri.v1.NamespaceMode.*;
import static org.junit.jupiter.api.Assertions.*;

/** What processes inside the pod's containers actually see: PID, network, UTS and IPC namespaces, mounts, DNS. */
@Timeout(120)
class NamespacesIT {
    @TempDir
    Path logs;
    @TempDir
    Path host;
    private PodFixture pods;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-ns-it", logs);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void pidPodShowsTheSiblingsProcesses() {
        String ps = siblingPs(POD);
        assertTrue(ps.contains("sleep 4242"), "the sibling's process is visible under PID POD:\n" + ps);
        assertTrue(ps.contains("/pause"), "so is the sandbox's pause:\n" + ps);
    }

    @Test
    void pidContainerHidesTheSiblingsProcesses() {
        String ps = siblingPs(CONTAINER);
        assertFalse(ps.contains("sleep 4242"), "the sibling's process is invisible under PID CONTAINER:\n" + ps);
        assertFalse(ps.contains("/pause"), ps);
    }

    /** `ps` in one container while its sibling runs `sleep 4242`, both under the given PID mode. */
    private String siblingPs(NamespaceMode pid) {
        PodSandboxConfig sandbox = PodFixture.withNamespaces(pods.sandbox(), POD, pid, POD).build();
        String sandboxId = pods.run(sandbox);
        pods.start(sandboxId, sandbox, pods.container(sandbox, "sibling", "exec sleep 4242").build());
        String looker = pods.start(sandboxId, sandbox, pods.container(sandbox, "looker", "exec sleep 1000").build());
        return pods.sh(looker, "ps -o pid,args 2>/dev/null || ps");
    }

    @Test
    void pidNodeSeesTheHostsProcesses() {
        PodSandboxConfig sandbox = PodFixture.withNamespaces(pods.sandbox(), POD, NODE, POD).build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "hostpid", "exec sleep 1000").build());
        long me = ProcessHandle.current().pid();
        assertEquals("yes\n", pods.sh(id, "test -d /proc/" + me + " && echo yes || echo no"), "this JVM is visible under PID NODE");
    }

    @Test
    void networkNodeSeesTheHostsInterfacesAndHostname() throws IOException {
        PodSandboxConfig sandbox = PodFixture.withNamespaces(pods.sandbox(), NODE, POD, POD).build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "hostnet", "exec sleep 1000").build());
        Set<String> inside = interfaces(pods.sh(id, "cat /proc/net/dev"));
        Set<String> onHost = interfaces(Files.readString(Path.of("/proc/net/dev")));
        assertEquals(onHost, inside, "network NODE is the host's network namespace");
        assertTrue(inside.contains("docker0") || inside.size() > 2, inside.toString());
        String hostHostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        assertEquals(hostHostname, pods.sh(id, "hostname").trim(), "network NODE means the host's UTS namespace too");
        assertFalse(pods.sandboxStatus(sandboxId).hasNetwork() && !pods.sandboxStatus(sandboxId).getNetwork().getIp().isEmpty(),
                "no pod IP of its own under network NODE");
    }

    @Test
    void networkPodHasItsOwnNamespaceSharedByTheContainers() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String a = pods.start(sandboxId, sandbox, pods.container(sandbox, "a", "exec sleep 1000").build());
        String b = pods.start(sandboxId, sandbox, pods.container(sandbox, "b", "exec sleep 1000").build());
        assertEquals(Set.of("lo", "eth0"), interfaces(pods.sh(a, "cat /proc/net/dev")));
        String ip = pods.sandboxStatus(sandboxId).getNetwork().getIp();
        assertTrue(pods.sh(a, "ip addr 2>/dev/null || ifconfig").contains(ip), "the pod IP " + ip + " is on the container's eth0");
        assertEquals(pods.sh(a, "readlink /proc/self/ns/net"), pods.sh(b, "readlink /proc/self/ns/net"), "one network namespace");
        assertEquals(pods.sh(a, "readlink /proc/self/ns/ipc"), pods.sh(b, "readlink /proc/self/ns/ipc"), "one IPC namespace");
    }

    @Test
    void hostnameIsThePods() {
        PodSandboxConfig sandbox = pods.sandbox().setHostname("skiff-web-1").build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000").build());
        assertEquals("skiff-web-1", pods.sh(id, "hostname").trim());
        assertEquals("skiff-web-1", pods.sh(id, "cat /etc/hostname").trim());
    }

    @Test
    void dnsConfigIsThePodsResolvConf() {
        PodSandboxConfig sandbox = pods.sandbox().setDnsConfig(DNSConfig.newBuilder()
                .addServers("10.96.0.10").addServers("10.96.0.11")
                .addSearches(pods.namespace + ".svc.cluster.local").addSearches("svc.cluster.local")
                .addOptions("ndots:5").addOptions("timeout:2")).build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000").build());
        assertEquals("nameserver 10.96.0.10\nnameserver 10.96.0.11\n"
                        + "search " + pods.namespace + ".svc.cluster.local svc.cluster.local\n"
                        + "options ndots:5 timeout:2\n",
                pods.sh(id, "cat /etc/resolv.conf"));
    }

    @Test
    void readOnlyMountRefusesWritesAndReadWriteMountAcceptsThem() throws IOException {
        Path ro = Files.createDirectories(host.resolve("ro"));
        Path rw = Files.createDirectories(host.resolve("rw"));
        Files.writeString(ro.resolve("seed"), "from the host\n");
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "app", "exec sleep 1000")
                .addMounts(Mount.newBuilder().setHostPath(ro.toString()).setContainerPath("/ro").setReadonly(true))
                .addMounts(Mount.newBuilder().setHostPath(rw.toString()).setContainerPath("/rw"))
                .build();
        String id = pods.start(sandboxId, sandbox, config);

        assertEquals("from the host\n", pods.sh(id, "cat /ro/seed"));
        ExecSyncResponse write = pods.exec(id, "sh", "-c", "echo x > /ro/new");
        assertNotEquals(0, write.getExitCode(), "a read-only mount refuses writes");
        assertTrue(write.getStderr().toString(StandardCharsets.UTF_8).toLowerCase().contains("read-only"),
                write.getStderr().toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(ro.resolve("new")));

        pods.sh(id, "echo written-inside > /rw/out");
        assertEquals("written-inside\n", Files.readString(rw.resolve("out")));
        assertTrue(pods.status(id).getMountsList().stream().anyMatch(m -> m.getContainerPath().equals("/ro") && m.getReadonly()));
    }

    @Test
    void hostToContainerPropagationIsRslave() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "app", "exec sleep 1000")
                .addMounts(Mount.newBuilder().setHostPath(host.toString()).setContainerPath("/h")
                        .setPropagation(dev.skiff.cri.v1.MountPropagation.PROPAGATION_HOST_TO_CONTAINER))
                .build();
        String id = pods.create(sandboxId, sandbox, config);
        var binds = pods.docker.inspectContainerCmd(id).exec().getHostConfig().getBinds();
        assertEquals(1, binds.length);
        assertEquals("rslave", binds[0].getPropagationMode().toString());
    }

    private static Set<String> interfaces(String procNetDev) {
        Set<String> names = new TreeSet<>();
        for (String line : procNetDev.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.contains("|")) {
                names.add(line.substring(0, colon).trim());
            }
        }
        return names;
    }
}
