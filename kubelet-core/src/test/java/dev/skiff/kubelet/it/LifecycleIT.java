package dev.skiff.kubelet.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.testing.TestDocker;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lifecycle hooks and termination end to end on real containers: a postStart hook's file read by the main process,
 * a failing postStart that kills and restarts the container, a preStop that runs before the stop signal and is cut
 * at the grace period, a liveness kill that runs the preStop, the image's STOPSIGNAL, a termination message taken
 * from the log tail, and a hook with two handlers refused with upstream's message.
 */
class LifecycleIT extends KubeletItSupport {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path host;

    private String volume(String name, Path dir) {
        return "  volumes:\n  - name: " + name + "\n    hostPath: {path: " + dir + ", type: Directory}\n";
    }

    private static String mount(String name, String path) {
        return "    volumeMounts: [{name: " + name + ", mountPath: " + path + "}]\n";
    }

    private static int restarts(Pod p) {
        ContainerStatus s = status(p, "app");
        return s.getRestartCount() == null ? 0 : s.getRestartCount();
    }

    /** {@code GET /events?pod=NS/NAME} as text. */
    private String events(String manifestName) throws Exception {
        var uri = java.net.URI.create("http://127.0.0.1:" + kubelet.readOnlyPort() + "/events?pod=" + ns + "/"
                + kubelet.podName(manifestName));
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private String awaitEvent(String manifestName, String... parts) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String events = "";
        while (System.nanoTime() < deadline) {
            events = events(manifestName);
            String e = events;
            if (List.of(parts).stream().allMatch(e::contains)) {
                return events;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no event with " + List.of(parts) + " in " + events + "\n" + kubelet.logTail());
    }

    @Test
    void postStartWritesAFileTheMainProcessReads() throws Exception {
        kubelet.writeManifest("demo.yaml", podYaml("demo", "", container("app",
                "while [ ! -f /usr/share/message ]; do sleep 0.1; done; cp /usr/share/message /tmp/seen; exec sleep 3600")
                + """
                    lifecycle:
                      postStart:
                        exec: {command: [sh, -c, "mkdir -p /usr/share && echo Hello from the postStart handler > /usr/share/message"]}
                """));
        Pod p = awaitRunning("demo");
        String seen = await("the main process read the hook's file", TIMEOUT, () -> {
            try {
                PodDocker.ExecResult r = PodDocker.exec(dockerId(p, "app"), Duration.ofSeconds(10), "cat", "/tmp/seen");
                return r.exitCode() == 0 ? Optional.of(r.stdout()) : Optional.empty();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, kubelet::logTail);
        assertEquals("Hello from the postStart handler\n", seen);
        assertEquals(0, restarts(p));
    }

    @Test
    void theLifecycleDemoExampleSaysHelloAndGoodbyeInItsLog() throws Exception {
        String example = Files.readString(Path.of("..", "examples", "manifests", "lifecycle-demo.yaml"));
        kubelet.writeManifest("lifecycle-demo.yaml", example.replace("  name: lifecycle-demo\n",
                "  name: lifecycle-demo\n  namespace: " + ns + "\n"));
        Pod p = awaitRunning("lifecycle-demo");
        Path log = kubelet.podLogsDir().resolve(ns + "_" + p.getMetadata().getName() + "_" + uid(p))
                .resolve("lifecycle-demo-container").resolve("0.log");
        await("hello in the log", TIMEOUT, () -> read(log).contains("Hello from the postStart handler")
                ? Optional.of(true) : Optional.empty(), kubelet::logTail);
        kubelet.deleteManifest("lifecycle-demo.yaml");
        // the log goes with the pod: catch the goodbye while it terminates
        await("goodbye in the log", TIMEOUT, () -> read(log).contains("Goodbye from the preStop handler")
                ? Optional.of(true) : Optional.empty(), kubelet::logTail);
        kubelet.awaitPodGone("lifecycle-demo", TIMEOUT);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void aFailingPostStartKillsTheContainerAndItRestarts() throws Exception {
        kubelet.writeManifest("bad.yaml", podYaml("bad", "", container("app", "exec sleep 3600") + """
                    lifecycle:
                      postStart:
                        exec: {command: [sh, -c, "echo no such thing >&2; exit 3"]}
                """));
        kubelet.awaitPod("bad", x -> x.getStatus() != null && x.getStatus().getContainerStatuses() != null
                && restarts(x) >= 1, TIMEOUT, "restarted after its failed postStart hook");
        awaitEvent("bad", "\"reason\":\"FailedPostStartHook\"", "PostStartHook failed",
                "\"reason\":\"Killing\"", "\"message\":\"FailedPostStartHook\"");
        assertTrue(kubelet.log().contains("Exec lifecycle hook ([sh -c echo no such thing >&2; exit 3]) for Container "
                + "\"app\" in Pod \"" + kubelet.podName("bad") + "_" + ns + "("), kubelet.logTail());
        assertTrue(kubelet.log().contains("failed - error: command 'sh -c echo no such thing >&2; exit 3' exited with 3: "
                + "no such thing\n, message: \"no such thing\\n\""), kubelet.logTail());
    }

    @Test
    void aFailingPostStartWithRestartPolicyNeverLeavesItTerminated() throws Exception {
        kubelet.writeManifest("once.yaml", podYaml("once", "  restartPolicy: Never\n", container("app",
                "exec sleep 3600") + """
                    lifecycle:
                      postStart:
                        httpGet: {port: 9, path: /hook}
                """));
        Pod p = kubelet.awaitPod("once", x -> phase(x, "Failed"), TIMEOUT, "Failed after its postStart hook");
        assertTrue(status(p, "app").getState().getTerminated() != null, kubelet.toJson(p.getStatus()));
        assertEquals(0, restarts(p));
        awaitEvent("once", "\"reason\":\"FailedPostStartHook\"");
        assertTrue(kubelet.log().contains("HTTP lifecycle hook (/hook) for Container \"app\" in Pod \""), kubelet.logTail());
        assertTrue(kubelet.log().contains(":9/hook\": dial tcp "), kubelet.logTail());
    }

    @Test
    void preStopRunsBeforeTheStopSignal() throws Exception {
        Path dir = Files.createDirectories(host.resolve("order"));
        kubelet.writeManifest("order.yaml", podYaml("order", volume("log", dir), container("app",
                "trap 'echo TERM >> /log/events; exit 0' TERM; while true; do sleep 0.2; done") + mount("log", "/log") + """
                    lifecycle:
                      preStop:
                        exec: {command: [sh, -c, "echo preStop >> /log/events; sleep 2; echo preStop-done >> /log/events"]}
                """).replace("terminationGracePeriodSeconds: 2", "terminationGracePeriodSeconds: 30"));
        Pod p = awaitRunning("order");
        kubelet.deleteManifest("order.yaml");
        kubelet.awaitPodGone("order", TIMEOUT);
        await("container gone", TIMEOUT, () -> PodDocker.runningIds(uid(p)).isEmpty() ? Optional.of(true) : Optional.empty(),
                kubelet::logTail);
        assertEquals(List.of("preStop", "preStop-done", "TERM"),
                Files.readAllLines(dir.resolve("events"), StandardCharsets.UTF_8));
        assertTrue(kubelet.log().contains("running the preStop hook of container app"), kubelet.logTail());
    }

    @Test
    void aPreStopIsCutAtTheGracePeriodAndTheContainerKilled() throws Exception {
        kubelet.writeManifest("stuck.yaml", podYaml("stuck", "", container("app", "exec sleep 3600") + """
                    lifecycle:
                      preStop:
                        exec: {command: [sleep, "300"]}
                """).replace("terminationGracePeriodSeconds: 2", "terminationGracePeriodSeconds: 3"));
        Pod p = awaitRunning("stuck");
        String id = dockerId(p, "app");
        Instant removed = Instant.now();
        kubelet.deleteManifest("stuck.yaml");
        // the hook would take 300 s: the container going sooner means it was cut at the grace period
        await("container stopped", Duration.ofSeconds(200), () -> {
            Optional<InspectContainerResponse> c = PodDocker.inspect(id);
            return c.isEmpty() || !Boolean.TRUE.equals(c.get().getState().getRunning()) ? Optional.of(true)
                    : Optional.empty();
        }, kubelet::logTail);
        assertTrue(Duration.between(removed, Instant.now()).compareTo(Duration.ofSeconds(300)) < 0);
        kubelet.awaitPodGone("stuck", TIMEOUT);
    }

    @Test
    void aLivenessKillRunsThePreStopHook() throws Exception {
        Path dir = Files.createDirectories(host.resolve("live"));
        kubelet.writeManifest("live.yaml", podYaml("live", volume("log", dir), container("app",
                "touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 3600") + mount("log", "/log") + """
                    livenessProbe:
                      exec: {command: [cat, /tmp/alive]}
                      periodSeconds: 1
                      failureThreshold: 1
                    lifecycle:
                      preStop:
                        exec: {command: [sh, -c, "echo preStop-on-liveness-kill >> /log/events"]}
                """));
        kubelet.awaitPod("live", x -> allRunning(x) && restarts(x) >= 1, TIMEOUT, "restarted by its liveness probe");
        assertTrue(Files.readString(dir.resolve("events"), StandardCharsets.UTF_8).startsWith("preStop-on-liveness-kill\n"));
    }

    @Test
    void theImagesStopSignalIsSent() throws Exception {
        String tag = "skiff-test/stopsignal-" + ns + ":1";
        Path ctx = Files.createDirectories(host.resolve("image"));
        Files.writeString(ctx.resolve("Dockerfile"), "FROM " + image + "\nSTOPSIGNAL SIGINT\n");
        TestDocker.client().buildImageCmd(ctx.toFile()).withTags(Set.of(tag)).withPull(false)
                .start().awaitImageId();
        try {
            Path dir = Files.createDirectories(host.resolve("signal"));
            kubelet.writeManifest("sig.yaml", podYaml("sig", volume("log", dir), container("app",
                    "trap 'echo INT >> /log/signal; exit 0' INT; trap 'echo TERM >> /log/signal; exit 0' TERM; "
                            + "while true; do sleep 0.2; done").replace(image, tag) + mount("log", "/log"))
                    .replace("terminationGracePeriodSeconds: 2", "terminationGracePeriodSeconds: 30"));
            Pod p = awaitRunning("sig");
            kubelet.deleteManifest("sig.yaml");
            kubelet.awaitPodGone("sig", TIMEOUT);
            await("container gone", TIMEOUT, () -> PodDocker.runningIds(uid(p)).isEmpty() ? Optional.of(true)
                    : Optional.empty(), kubelet::logTail);
            assertEquals("INT\n", Files.readString(dir.resolve("signal"), StandardCharsets.UTF_8));
        } finally {
            TestDocker.removeNamespace(ns); // the containers first: the image is theirs
            TestDocker.client().removeImageCmd(tag).withForce(true).exec();
        }
    }

    @Test
    void aFailedContainersMessageFallsBackToItsLogTail() throws Exception {
        kubelet.writeManifest("msg.yaml", podYaml("msg", "  restartPolicy: Never\n", container("app",
                "echo first line; echo the last words; exit 4") + "    terminationMessagePolicy: FallbackToLogsOnError\n"));
        Pod p = kubelet.awaitPod("msg", x -> phase(x, "Failed"), TIMEOUT, "Failed");
        var t = status(p, "app").getState().getTerminated();
        assertEquals(4, t.getExitCode());
        assertEquals("first line\nthe last words\n", t.getMessage(), kubelet.toJson(p.getStatus()));
    }

    @Test
    void aHookWithTwoHandlersIsRefused() throws Exception {
        kubelet.writeManifest("two.yaml", podYaml("two", "", container("app", "exec sleep 3600") + """
                    lifecycle:
                      preStop:
                        exec: {command: ["true"]}
                        sleep: {seconds: 1}
                """));
        var error = await("manifest error", TIMEOUT, () -> kubelet.manifestErrors().stream()
                .filter(e -> e.file().endsWith("two.yaml")).findFirst(), kubelet::logTail);
        assertTrue(error.reason().contains(
                "spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type"),
                error.reason());
    }
}
