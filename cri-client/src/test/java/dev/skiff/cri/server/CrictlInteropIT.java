package dev.skiff.cri.server;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real Docker shim served by {@link CriServer}, driven by crictl (the upstream CRI CLI,
 * a Go gRPC client like the kubelet's). Debian 12 ships no cri-tools package, so this runs
 * only where crictl is on the PATH (or named by $CRICTL) and is skipped, saying so, elsewhere.
 */
class CrictlInteropIT {
    private static final String NAMESPACE = TestDocker.newNamespace("skiff-crictl");

    @TempDir
    static Path dir;
    private static String crictl;
    private static String endpoint;
    private static DockerCriRuntime shim;
    private static CriServer server;

    @BeforeAll
    static void serveTheShim() {
        crictl = findCrictl().orElse(null);
        if (crictl == null) {
            return; // each test is skipped, with the reason
        }
        TestImages.busybox(TestDocker.client());
        shim = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        Path socket = dir.resolve("cri.sock");
        server = CriServer.start(socket, shim.runtime(), shim.images());
        endpoint = "unix://" + socket;
    }

    @BeforeEach
    void needsCrictl() {
        assumeTrue(crictl != null,
                "crictl is not installed: Debian 12 has no cri-tools package; put crictl on the PATH or set $CRICTL");
    }

    @AfterAll
    static void cleanUp() {
        try {
            TestDocker.removeNamespace(NAMESPACE);
        } finally {
            if (server != null) server.close();
            if (shim != null) shim.close();
        }
    }

    @Test
    void versionInfoPodsAndImages() throws Exception {
        String version = crictl("version");
        assertTrue(version.contains("RuntimeName:  docker") || version.matches("(?s).*RuntimeName:\\s+docker.*"), version);
        assertTrue(version.matches("(?s).*RuntimeApiVersion:\\s+v1.*"), version);

        String info = crictl("info");
        assertTrue(info.contains("RuntimeReady"), info);

        crictl("pods");
        String images = crictl("images");
        assertTrue(images.contains("skiff-test/busybox"), images);
    }

    @Test
    void podAndContainerLifecycle() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path pod = dir.resolve("pod.json");
        Files.writeString(pod, """
                {"metadata": {"name": "crictl-pod", "namespace": "%s", "uid": "uid-crictl-pod", "attempt": 0},
                 "hostname": "crictl-pod", "log_directory": "%s", "labels": {"app": "crictl"}, "linux": {}}
                """.formatted(NAMESPACE, logs));
        Path ctr = dir.resolve("ctr.json");
        Files.writeString(ctr, """
                {"metadata": {"name": "box"}, "image": {"image": "%s"},
                 "command": ["sh", "-c", "echo crictl-was-here; exec sleep 300"], "log_path": "box.0.log", "linux": {}}
                """.formatted(TestImages.BUSYBOX));

        String podId = crictl("runp", pod.toString()).strip();
        assertTrue(TestDocker.client().inspectContainerCmd(podId).exec().getState().getRunning(), "sandbox runs in Docker");
        assertTrue(crictl("pods", "-q", "--label", "app=crictl").contains(podId));

        String ctrId = crictl("create", podId, ctr.toString(), pod.toString()).strip();
        crictl("start", ctrId);
        assertTrue(TestDocker.client().inspectContainerCmd(ctrId).exec().getState().getRunning(), "container runs in Docker");
        assertTrue(crictl("ps", "-q", "--pod", podId).contains(ctrId));
        String exec = crictl("exec", "-s", ctrId, "cat", "/etc/hostname");
        assertEquals("crictl-pod", exec.strip());
        assertLogContains(logs.resolve("box.0.log"), "crictl-was-here");

        crictl("stop", "-t", "1", ctrId);
        assertFalse(TestDocker.client().inspectContainerCmd(ctrId).exec().getState().getRunning(), "container stopped");
        assertTrue(crictl("ps", "-a", "--pod", podId).contains("Exited"));
        crictl("rm", ctrId);
        assertFalse(crictl("ps", "-a", "-q").contains(ctrId));
        crictl("stopp", podId);
        crictl("rmp", podId);
        assertFalse(crictl("pods", "-q").contains(podId));
    }

    private static void assertLogContains(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String content = "";
        while (System.nanoTime() < deadline) {
            content = Files.exists(log) ? Files.readString(log) : "";
            if (content.contains(" stdout F " + text)) {
                return;
            }
            Thread.sleep(100);
        }
        fail("CRI log " + log + " lacks '" + text + "':\n" + content);
    }

    private static String crictl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(crictl, "--runtime-endpoint", endpoint, "--image-endpoint", endpoint,
                "--timeout", "60s"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "crictl", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in 90 s");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }

    private static Optional<String> findCrictl() {
        String named = System.getenv("CRICTL");
        if (named != null && Files.isExecutable(Path.of(named))) {
            return Optional.of(named);
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "crictl"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }
}
