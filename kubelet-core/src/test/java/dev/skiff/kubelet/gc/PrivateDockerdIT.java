package dev.skiff.kubelet.gc;

import dev.skiff.kubelet.it.PrivateDockerd;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The private dockerd fixture itself: it runs containers, a stop stops them, a start brings the daemon back with
 * them, and close leaves no process, bridge, mount or file behind, while the machine's dockerd is untouched.
 */
class PrivateDockerdIT {

    @Test
    void runsStopsRestartsAndLeavesNothingBehind() throws Exception {
        PrivateDockerd.requireAvailable();
        long machineDockerd = machineDockerdPid();
        Path work = Files.createTempDirectory("skpd-it-");
        String bridge;
        long pid;
        try (PrivateDockerd d = PrivateDockerd.start(work)) {
            pid = d.pid();
            assertEquals("unix://" + work.resolve("docker.sock"), d.endpoint());
            d.importBusybox("skiff-test/busybox:1");
            String id = d.docker("run", "-d", "--name", "c1", "skiff-test/busybox:1", "sleep", "600").trim();
            assertEquals("true", d.docker("inspect", "-f", "{{.State.Running}}", id).trim());
            String ip = d.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", id).trim();
            assertTrue(ip.startsWith("10.213."), "container on the private bridge, got " + ip);
            assertEquals("", machineDocker("ps", "-aq", "--filter", "id=" + id).trim(),
                    "the machine's dockerd does not know the private container");

            d.stop();
            assertFalse(d.isRunning());
            d.startAgain();
            assertEquals("false", d.docker("inspect", "-f", "{{.State.Running}}", id).trim(),
                    "a dockerd restart stops its containers");
            d.docker("start", id);
            assertEquals("true", d.docker("inspect", "-f", "{{.State.Running}}", id).trim());
            bridge = d.bridge();
            assertTrue(run("ip", "-o", "link", "show").contains(" " + bridge + ":"), "its own bridge exists");
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "dockerd gone");
        assertFalse(Files.exists(work), "work dir removed");
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
        assertFalse(mounts.contains(work.toString()), "nothing mounted under the work dir");
        String links = run("ip", "-o", "link", "show");
        String procs = run("ps", "-eo", "args");
        assertFalse(procs.contains(work.toString()), "no process of the private dockerd left:\n" + procs);
        assertEquals(machineDockerd, machineDockerdPid(), "the machine's dockerd was never restarted");
        assertFalse(links.contains(" " + bridge + ":"), "its bridge deleted:\n" + links);
    }

    private static long machineDockerdPid() throws Exception {
        return Long.parseLong(Files.readString(Path.of("/var/run/docker.pid")).trim());
    }

    private static String machineDocker(String... args) throws Exception {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "docker";
        cmd[1] = "-H";
        cmd[2] = "unix:///var/run/docker.sock";
        System.arraycopy(args, 0, cmd, 3, args.length);
        return run(cmd);
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }
}
