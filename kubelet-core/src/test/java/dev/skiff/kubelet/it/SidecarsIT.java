package dev.skiff.kubelet.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Init containers and sidecars (init containers with {@code restartPolicy: Always}) against real containers: order,
 * retries, a startup probe that gates the next init container, a Job-like pod completing while its sidecar runs, and
 * what {@code skiff pods} shows meanwhile. The test moves each pod on by creating a file in its emptyDir (docker
 * exec), so nothing depends on how fast this host is.
 */
class SidecarsIT extends KubeletItSupport {
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final String SHARED = "  volumes:\n  - name: shared\n    emptyDir: {}\n";
    /** Busybox sh as PID 1 ignores SIGTERM unless it traps it: this sidecar stops at once when asked. */
    private static final String SIDECAR_LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done";

    /** A container block with the shared emptyDir at /shared; {@code extra} lines are indented 4 spaces. */
    private String block(String name, String script, String extra) {
        return container(name, script) + "    volumeMounts:\n    - {name: shared, mountPath: /shared}\n" + extra;
    }

    private String initContainers(String... blocks) {
        return "  initContainers:\n" + String.join("", blocks);
    }

    @Test
    void aSidecarOutlivesAJobLikeMainContainerAndIsStoppedAfterIt() throws Exception {
        kubelet.writeManifest("job.yaml", podYaml("job", "  restartPolicy: Never\n" + SHARED
                        + initContainers(block("proxy", SIDECAR_LOOP, "    restartPolicy: Always\n")),
                block("main", "while [ ! -f /shared/go ]; do sleep 1; done; sleep 3; exit 0", "")));

        Pod running = kubelet.awaitPod("job", p -> allRunning(p) && initStatus(p, "proxy").map(s ->
                s.getState().getRunning() != null && Boolean.TRUE.equals(s.getStarted())).orElse(false),
                RUNNING_TIMEOUT, "Running with its sidecar started");
        assertTrue(initStatus(running, "proxy").orElseThrow().getReady(), kubelet.toJson(running.getStatus()));
        String uid = uid(running);
        awaitPodsRow("job", r -> r[1].equals("2/2") && r[2].equals("Running"), "2/2 Running (the sidecar counts)");

        Container proxy = runningContainer(uid, "proxy");
        Container main = runningContainer(uid, "main");
        assertTrue(startedAt(proxy.getId()).isBefore(startedAt(main.getId())),
                "the sidecar started before the main container: " + describe(PodDocker.all(uid)));

        PodDocker.sh(main.getId(), "touch /shared/go");
        Pod done = kubelet.awaitPod("job", p -> phase(p, "Succeeded"), STEP, "Succeeded although its sidecar ran");
        awaitNothingRunning(uid, STEP);
        ContainerStatus mainStatus = status(done, "main");
        assertEquals(0, mainStatus.getState().getTerminated().getExitCode(), kubelet.toJson(done.getStatus()));
        assertEquals("Completed", mainStatus.getState().getTerminated().getReason(), kubelet.toJson(done.getStatus()));

        InspectContainerResponse mainRun = PodDocker.inspect(main.getId()).orElseThrow();
        InspectContainerResponse proxyRun = PodDocker.inspect(proxy.getId()).orElseThrow();
        assertFalse(Boolean.TRUE.equals(proxyRun.getState().getRunning()), "the sidecar was stopped");
        assertEquals(0L, mainRun.getState().getExitCodeLong());
        assertFalse(Instant.parse(proxyRun.getState().getFinishedAt()).isBefore(Instant.parse(mainRun.getState().getFinishedAt())),
                "the sidecar stopped after the main container: main " + mainRun.getState().getFinishedAt()
                        + ", sidecar " + proxyRun.getState().getFinishedAt());
        assertEquals(0L, proxyRun.getState().getExitCodeLong(), "it stopped on SIGTERM (its trap), not by a crash");

        // the sidecar is not restarted once the pod is done, nor is anything else
        Thread.sleep(3_000);
        List<Container> instances = PodDocker.containers(uid);
        assertEquals(2, instances.size(), describe(PodDocker.all(uid)));
        assertTrue(PodDocker.runningIds(uid).isEmpty(), describe(PodDocker.all(uid)));
        assertEquals("Succeeded", kubelet.pod("job").orElseThrow().getStatus().getPhase());
        awaitPodsRow("job", r -> r[2].equals("Completed"), "Completed");
    }

    @Test
    void initContainersRunInOrderAndAFailingOneIsRetried() throws Exception {
        kubelet.writeManifest("order.yaml", podYaml("order", "  restartPolicy: OnFailure\n" + SHARED
                        + initContainers(
                        block("first", "echo first >> /shared/order; "
                                + "if [ ! -f /shared/failed-once ]; then touch /shared/failed-once; exit 3; fi", ""),
                        block("second", "echo second >> /shared/order; while [ ! -f /shared/release ]; do sleep 1; done", "")),
                block("app", "echo app >> /shared/order; while true; do sleep 1; done", "")));

        // the second init container runs only after the first succeeded on its retry; the pod waits in Init:1/2
        Set<String> seen = new LinkedHashSet<>();
        String[] row = awaitPodsRow("order", r -> {
            seen.add(r[2]);
            return r[2].equals("Init:1/2");
        }, "Init:1/2 while the second init container runs");
        assertEquals("0/1", row[1], String.join(" ", row));
        Pod initializing = kubelet.awaitPod("order", p -> initStatus(p, "second").map(s -> s.getState().getRunning() != null)
                .orElse(false), STEP, "its second init container running");
        assertEquals("Pending", initializing.getStatus().getPhase());
        ContainerStatus first = initStatus(initializing, "first").orElseThrow();
        assertEquals(1, first.getRestartCount(), "retried once: " + kubelet.toJson(first));
        assertEquals(0, first.getState().getTerminated().getExitCode(), kubelet.toJson(first));
        assertTrue(first.getReady(), kubelet.toJson(first));
        assertEquals("PodInitializing", status(initializing, "app").getState().getWaiting().getReason());
        assertTrue(PodDocker.containers(uid(initializing)).stream()
                        .noneMatch(c -> "app".equals(c.getLabels().get(PodDocker.LABEL_CONTAINER_NAME))),
                "no app container before initialization ends: " + describe(PodDocker.all(uid(initializing))));

        PodDocker.sh(dockerIdOf(initStatus(initializing, "second").orElseThrow()), "touch /shared/release");
        Pod running = awaitRunning("order");
        assertEquals("first\nfirst\nsecond\napp", PodDocker.sh(dockerId(running, "app"), "cat /shared/order"),
                "statuses seen meanwhile: " + seen);
        assertEquals("True", condition(running, "Initialized"), kubelet.toJson(running.getStatus()));
        awaitPodsRow("order", r -> r[1].equals("1/1") && r[2].equals("Running"), "1/1 Running");
    }

    @Test
    void aSidecarsStartupProbeGatesTheNextInitContainer() throws Exception {
        kubelet.writeManifest("gate.yaml", podYaml("gate", SHARED + initContainers(
                        block("proxy", SIDECAR_LOOP, """
                                    restartPolicy: Always
                                    startupProbe:
                                      exec: {command: [cat, /shared/up]}
                                      periodSeconds: 1
                                      failureThreshold: 300
                                """),
                        block("setup", "echo setup >> /shared/order", "")),
                block("app", "echo app >> /shared/order; while true; do sleep 1; done", "")));

        Pod waiting = kubelet.awaitPod("gate", p -> initStatus(p, "proxy").map(s -> s.getState().getRunning() != null)
                .orElse(false), RUNNING_TIMEOUT, "its sidecar running");
        String uid = uid(waiting);
        awaitPodsRow("gate", r -> r[2].equals("Init:0/2"), "Init:0/2 while the sidecar's startup probe fails");
        // several probe periods later the sidecar is still not started and the next init container not created
        Thread.sleep(4_000);
        Pod still = kubelet.pod("gate").orElseThrow();
        assertFalse(Boolean.TRUE.equals(initStatus(still, "proxy").orElseThrow().getStarted()), kubelet.toJson(still.getStatus()));
        assertEquals("Pending", still.getStatus().getPhase());
        assertTrue(PodDocker.containers(uid).stream()
                        .noneMatch(c -> "setup".equals(c.getLabels().get(PodDocker.LABEL_CONTAINER_NAME))),
                "setup created before the sidecar started: " + describe(PodDocker.all(uid)));

        Instant released = Instant.now();
        PodDocker.sh(runningContainer(uid, "proxy").getId(), "touch /shared/up");
        Pod running = awaitRunning("gate");
        assertTrue(initStatus(running, "proxy").orElseThrow().getStarted(), kubelet.toJson(running.getStatus()));
        assertEquals("setup\napp", PodDocker.sh(dockerId(running, "app"), "cat /shared/order"));
        Container setup = PodDocker.containers(uid).stream()
                .filter(c -> "setup".equals(c.getLabels().get(PodDocker.LABEL_CONTAINER_NAME))).findFirst()
                .orElseThrow(() -> new AssertionError("no setup container: " + describe(PodDocker.all(uid))));
        assertFalse(Instant.ofEpochSecond(setup.getCreated()).isBefore(released.minusSeconds(1)),
                "setup created at " + setup.getCreated() + " before the probe could pass at " + released);
        runningContainer(uid, "proxy"); // one sidecar instance runs on
        assertEquals(0, initStatus(running, "proxy").orElseThrow().getRestartCount(), kubelet.toJson(running.getStatus()));
    }

    @Test
    void aRestartPolicyOtherThanAlwaysOnAnInitContainerOrAnyOnAnAppContainerIsRefused() throws Exception {
        kubelet.writeManifest("bad-init.yaml", podYaml("bad-init", initContainers(
                        container("i", "true") + "    restartPolicy: OnFailure\n"),
                container("app", "sleep 3600")));
        kubelet.writeManifest("bad-app.yaml", podYaml("bad-app", "",
                container("app", "sleep 3600") + "    restartPolicy: Always\n"));
        assertTrue(awaitError("bad-init.yaml").reason().contains(
                "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""),
                kubelet.manifestErrors().toString());
        assertTrue(awaitError("bad-app.yaml").reason().contains(
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"),
                kubelet.manifestErrors().toString());
        assertTrue(kubelet.pod("bad-init").isEmpty() && kubelet.pod("bad-app").isEmpty(), "refused pods never run");
    }

    // ---- helpers ----

    private static Optional<ContainerStatus> initStatus(Pod p, String name) {
        if (p.getStatus() == null || p.getStatus().getInitContainerStatuses() == null) {
            return Optional.empty();
        }
        return p.getStatus().getInitContainerStatuses().stream().filter(s -> name.equals(s.getName())).findFirst();
    }

    private static String condition(Pod p, String type) {
        return p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst()
                .map(c -> c.getStatus()).orElse("<none>");
    }

    private static String dockerIdOf(ContainerStatus s) {
        assertNotNull(s.getContainerID(), "no containerID: " + s);
        return PodDocker.dockerId(s.getContainerID());
    }

    private static Instant startedAt(String dockerId) {
        return Instant.parse(PodDocker.inspect(dockerId).orElseThrow().getState().getStartedAt());
    }

    /**
     * Runs {@code skiff pods} until the pod's row (NAME READY STATUS RESTARTS AGE, split on runs of spaces, RESTARTS
     * possibly two cells) matches; returns it.
     */
    private String[] awaitPodsRow(String manifestName, java.util.function.Predicate<String[]> match, String what)
            throws Exception {
        String name = kubelet.podName(manifestName);
        String[] last = {"<no row>"};
        return await("skiff pods shows " + name + " " + what, STEP, () -> {
            try {
                for (String line : skiff("pods").split("\n")) {
                    String[] cells = line.trim().split("\\s+");
                    if (cells.length >= 5 && cells[0].equals(name)) {
                        last[0] = line;
                        return match.test(cells) ? Optional.of(cells) : Optional.empty();
                    }
                }
                return Optional.empty();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, () -> last[0]);
    }

    private SkiffKubelet.ManifestErrorView awaitError(String fileName) throws InterruptedException {
        Path expected = kubelet.manifestDir().resolve(fileName);
        return await("/manifests/errors lists " + expected, STEP,
                () -> kubelet.manifestErrors().stream()
                        .filter(e -> e.file() != null && Path.of(e.file()).toAbsolutePath().equals(expected))
                        .findFirst(),
                () -> kubelet.manifestErrors().toString());
    }
}
