package dev.skiff.cri.server;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.Cli;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real Docker shim served by {@link CriServer} on a Unix socket, driven through a CRI command-line client that
 * is not ours: crictl where it is installed, and a client written for the tests from the protocol's description
 * (see {@link CricliInteropIT}). Both speak crictl's command line; a result is read from the tool's stdout alone,
 * its stderr (warnings, debug lines) only shown when a call fails. Pods go in a namespace of the class's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CriCliScenarios {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(120);
    /** What a Docker container id looks like: a stdout polluted by a warning would not. */
    private static final String DOCKER_ID = "[0-9a-f]{64}";

    final String namespace = TestDocker.newNamespace("skiff-cricli");
    @TempDir
    static Path dir; // static: injected before @BeforeAll, fresh for each subclass
    private String endpoint;
    private DockerCriRuntime shim;
    private CriServer server;
    private Optional<String> unavailable = Optional.empty();

    /** Finds the tool and prepares what it needs; empty, or why it cannot run here (each test is then skipped). */
    abstract Optional<String> prepareTool() throws Exception;

    /** A process for {@code tool <endpoint flags> args}. */
    abstract ProcessBuilder tool(String endpoint, List<String> args);

    @BeforeAll
    void serveTheShim() throws Exception {
        unavailable = prepareTool();
        if (unavailable.isPresent()) {
            return;
        }
        TestImages.busybox(TestDocker.client());
        shim = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        Path socket = dir.resolve("cri.sock");
        server = CriServer.start(socket, shim.runtime(), shim.images());
        endpoint = "unix://" + socket;
    }

    @BeforeEach
    void needsTheTool() {
        assumeTrue(unavailable.isEmpty(), unavailable::get);
    }

    @AfterAll
    void cleanUp() {
        try {
            TestDocker.removeNamespace(namespace);
        } finally {
            if (server != null) server.close();
            if (shim != null) shim.close();
        }
    }

    @Test
    void versionInfoPodsAndImages() {
        String version = ok("version");
        assertTrue(version.matches("(?s).*RuntimeName:\\s+docker.*"), version);
        assertTrue(version.matches("(?s).*RuntimeApiVersion:\\s+v1.*"), version);

        String info = ok("info");
        assertTrue(info.contains("RuntimeReady"), info);

        ok("pods");
        String images = ok("images");
        assertTrue(images.contains("skiff-test/busybox"), images);
    }

    @Test
    void podAndContainerLifecycle() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path pod = podConfig("lifecycle", logs);
        Path ctr = containerConfig("box", "echo crictl-was-here; exec sleep 300");

        String podId = ok("runp", pod.toString()).strip();
        assertTrue(podId.matches(DOCKER_ID), "runp printed more than the pod id: " + podId);
        assertTrue(TestDocker.client().inspectContainerCmd(podId).exec().getState().getRunning(), "sandbox runs in Docker");
        assertTrue(ok("pods", "-q", "--label", "app=lifecycle").contains(podId));

        String ctrId = ok("create", podId, ctr.toString(), pod.toString()).strip();
        assertTrue(ctrId.matches(DOCKER_ID), "create printed more than the container id: " + ctrId);
        ok("start", ctrId);
        assertTrue(TestDocker.client().inspectContainerCmd(ctrId).exec().getState().getRunning(), "container runs in Docker");
        assertTrue(ok("ps", "-q", "--pod", podId).contains(ctrId));
        assertEquals("lifecycle", ok("exec", "-s", ctrId, "cat", "/etc/hostname").strip());
        assertLogContains(logs.resolve("box.0.log"), "crictl-was-here");

        ok("stop", "-t", "1", ctrId);
        assertFalse(TestDocker.client().inspectContainerCmd(ctrId).exec().getState().getRunning(), "container stopped");
        assertTrue(ok("ps", "-a", "--pod", podId).contains("Exited"));
        ok("rm", ctrId);
        assertFalse(ok("ps", "-a", "-q").contains(ctrId));
        ok("stopp", podId);
        ok("rmp", podId);
        assertFalse(ok("pods", "-q").contains(podId));
    }

    /** A pod config file as crictl reads it, in this class's namespace, labelled app=name, hostname name. */
    Path podConfig(String name, Path logDir) throws Exception {
        Path file = dir.resolve(name + "-pod.json");
        Files.writeString(file, """
                {"metadata": {"name": "%1$s", "namespace": "%2$s", "uid": "uid-%1$s-%2$s", "attempt": 0},
                 "hostname": "%1$s", "log_directory": "%3$s", "labels": {"app": "%1$s"}, "linux": {}}
                """.formatted(name, namespace, logDir));
        return file;
    }

    /** A container config file running {@code script} in the busybox test image, logging to name.0.log. */
    Path containerConfig(String name, String script) throws Exception {
        Path file = dir.resolve(name + "-ctr.json");
        Files.writeString(file, """
                {"metadata": {"name": "%s"}, "image": {"image": "%s"},
                 "command": ["sh", "-c", "%s"], "log_path": "%s.0.log", "linux": {}}
                """.formatted(name, TestImages.BUSYBOX, script.replace("\\", "\\\\").replace("\"", "\\\""), name));
        return file;
    }

    /** Runs the tool; its stdout when it exits 0, else the test fails showing both streams. */
    String ok(String... args) {
        return call(args).stdoutIfOk();
    }

    Cli.Result call(String... args) {
        return Cli.run(tool(endpoint, List.of(args)), CALL_TIMEOUT);
    }

    static void assertLogContains(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
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

    static List<String> concat(List<String> head, List<String> tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(tail);
        return all;
    }
}
