package dev.skiff.kubelet.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import dev.skiff.cri.docker.DockerEndpoint;
import dev.skiff.volume.mount.MountInfo;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 6 fault: the dockerd under running pods is restarted (SIGTERM: it stops every container, no live-restore,
 * then starts again). Skiff keeps running, reconnects by itself, and the pods come back as upstream's kubelet brings
 * them back: a pod whose sandbox died gets a new sandbox and its containers start again (restartCount + 1) unless
 * its restartPolicy says no (Never; OnFailure for a container that exited 0), and its volumes are the same ones
 * (the emptyDir's files, the Memory emptyDir's very tmpfs).
 *
 * <p>The test owns its dockerd ({@link PrivateDockerd}) and is skipped with the reason when one cannot run here.
 */
class DockerRestartIT extends VolumeItSupport {
    private static final Duration BACK = Duration.ofSeconds(90);
    private static PrivateDockerd dockerd;

    @BeforeAll
    static void privateDockerd() throws Exception {
        PrivateDockerd.requireAvailable();
        dockerd = PrivateDockerd.start(Files.createTempDirectory(Path.of("/tmp"), "skiff-dr-"));
        dockerd.importBusybox(image);
    }

    @AfterAll
    static void closeDockerd() {
        if (dockerd != null) {
            dockerd.close();
        }
    }

    @Override
    String[] kubeletArgs() {
        return new String[] {"--docker-endpoint", dockerd.endpoint()};
    }

    /** Before the shared cleanup (which looks at the machine's Docker): the kubelet, then the private dockerd's containers. */
    @AfterEach
    void removePrivateContainers() throws Exception {
        if (kubelet != null) {
            kubelet.killProcess();
        }
        if (dockerd != null && dockerd.isRunning()) {
            String ids = dockerd.docker("ps", "-aq").trim();
            if (!ids.isEmpty()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f", "-v"));
                rm.addAll(List.of(ids.split("\\s+")));
                dockerd.docker(rm.toArray(String[]::new));
            }
        }
    }

    @Test
    void podsComeBackPerRestartPolicyWithTheirVolumes() throws Exception {
        Map<String, String> manifests = new LinkedHashMap<>();
        // a line a second, so the new instance's log is seen to fill
        manifests.put("always", podYaml("always", "  restartPolicy: Always\n  volumes:\n  - name: data\n    emptyDir: {}\n",
                container("c", "while true; do echo tick; sleep 1; done", mount("data", "/data"))));
        manifests.put("mem", podYaml("mem",
                "  volumes:\n  - name: mem\n    emptyDir:\n      medium: Memory\n      sizeLimit: 1Mi\n",
                container("c", "sleep 3600", mount("mem", "/mem"))));
        // a shell or sleep as pid 1 ignores SIGTERM: dockerd kills it after its 10 s stop timeout, exit 137
        manifests.put("onfail", podYaml("onfail", "  restartPolicy: OnFailure\n", container("c", "sleep 3600")));
        // exits 0 on SIGTERM: OnFailure does not restart a container that succeeded
        manifests.put("onfailok", podYaml("onfailok", "  restartPolicy: OnFailure\n",
                container("c", "trap 'exit 0' TERM; sleep 3600 & wait")));
        manifests.put("never", podYaml("never", "  restartPolicy: Never\n", container("c", "sleep 3600")));
        for (Map.Entry<String, String> m : manifests.entrySet()) {
            kubelet.writeManifest(m.getKey() + ".yaml", m.getValue());
        }
        Map<String, Pod> before = new LinkedHashMap<>();
        for (String name : manifests.keySet()) {
            before.put(name, kubelet.awaitPod(name, KubeletItSupport::allRunning, Duration.ofSeconds(60), "Running"));
        }
        Map<String, String> sandboxBefore = new LinkedHashMap<>();
        Map<String, String> containerBefore = new LinkedHashMap<>();
        for (Pod p : before.values()) {
            String name = p.getMetadata().getLabels().get("app");
            sandboxBefore.put(name, runningSandbox(uid(p)));
            containerBefore.put(name, dockerId(p, "c"));
        }
        execOk(containerBefore.get("always"), "echo on-disk > /data/marker");
        execOk(containerBefore.get("mem"), "echo in-memory > /mem/marker");
        Path memDir = volumeDir(before.get("mem"), "empty-dir", "mem");
        MountInfo memMount = single(memDir);
        assertEquals("tmpfs", memMount.fsType());
        Process skiff = kubelet.process();
        long pid = skiff.pid();

        long t0 = System.nanoTime();
        dockerd.stop();
        long tStopped = System.nanoTime();
        Thread.sleep(3_000);
        assertTrue(skiff.isAlive(), "Skiff exited when dockerd went away\n" + kubelet.logTail());
        // upstream: relists fail, but /healthz reports the PLEG unhealthy only after its 3 minute threshold
        SkiffKubelet.Health health = kubelet.healthz();
        assertEquals(200, health.status(), "healthz while dockerd is down: " + health);
        assertEquals(5, kubelet.pods().getItems().size(), "/pods still lists the pods");

        dockerd.startAgain();
        long tStarted = System.nanoTime();

        Map<String, Pod> after = new LinkedHashMap<>();
        for (String name : List.of("always", "mem", "onfail")) {
            String old = containerBefore.get(name);
            after.put(name, kubelet.awaitPod(name, p -> allRunning(p) && !old.equals(dockerId(p, "c")),
                    BACK, "Running again in a new container"));
        }
        long tBack = System.nanoTime();
        after.put("onfailok", kubelet.awaitPod("onfailok", p -> phase(p, "Succeeded"), BACK, "Succeeded"));
        after.put("never", kubelet.awaitPod("never", p -> phase(p, "Failed"), BACK, "Failed"));
        // let several relists and syncs pass: nothing more may be started
        Thread.sleep(4_000);
        for (String name : manifests.keySet()) {
            after.put(name, kubelet.pod(name).orElseThrow());
        }

        assertTrue(skiff.isAlive(), "Skiff died");
        assertEquals(pid, kubelet.process().pid(), "Skiff was restarted");

        // While dockerd shuts down (up to its 10 s stop timeout) it still answers: Skiff sees the dead sandboxes and
        // may already start a new attempt there, which the shutdown kills too, as it would upstream's kubelet. So
        // one or two restarts, and the container GC keeps only the newest dead instance (and its log).
        Map<String, Integer> lastExit = new LinkedHashMap<>();
        for (String name : List.of("always", "mem", "onfail")) {
            Pod p = after.get(name);
            assertTrue(allRunning(p), name + " not Running: " + kubelet.toJson(p.getStatus()));
            int restarts = status(p, "c").getRestartCount();
            assertTrue(restarts == 1 || restarts == 2, name + ": restartCount after the restart: " + restarts);
            ContainerStateTerminated last = status(p, "c").getLastState().getTerminated();
            assertTrue(last != null && last.getExitCode() != 0, name + ": lastState " + kubelet.toJson(p.getStatus()));
            lastExit.put(name, last.getExitCode());
            String sandbox = runningSandbox(uid(p));
            assertNotEquals(sandboxBefore.get(name), sandbox, name + ": still the old sandbox");
            assertTrue(dockerd.docker("inspect", "-f", "{{.Name}}", sandbox).trim().endsWith("_" + restarts),
                    name + ": the new sandbox's attempt is its restart count");
            Path logDir = kubelet.podLogsDir().resolve(ns + "_" + kubelet.podName(name) + "_" + uid(p)).resolve("c");
            assertTrue(Files.isRegularFile(logDir.resolve((restarts - 1) + ".log")), name + ": the previous instance's log is kept");
            assertTrue(Files.isRegularFile(logDir.resolve(restarts + ".log")), name + ": the new instance's log file");
        }
        Path alwaysLog = kubelet.podLogsDir().resolve(ns + "_" + kubelet.podName("always") + "_" + uid(after.get("always")))
                .resolve("c").resolve(status(after.get("always"), "c").getRestartCount() + ".log");
        awaitTrue("the new instance's log fills", Duration.ofSeconds(60),
                () -> readOrEmpty(alwaysLog).contains(" stdout F tick"), () -> readOrEmpty(alwaysLog));
        // volumes: the emptyDir's file, and the very same tmpfs with its file
        assertEquals("on-disk", execOk(dockerId(after.get("always"), "c"), "cat /data/marker"));
        assertEquals(memMount.mountId(), single(memDir).mountId(), "the Memory emptyDir was remounted");
        assertEquals("in-memory", execOk(dockerId(after.get("mem"), "c"), "cat /mem/marker"));

        // Never, and OnFailure after exit 0: not started again, no new sandbox
        // what dockerd's shutdown left: the shell it killed 137, the one that trapped SIGTERM 0
        ContainerStateTerminated never = status(after.get("never"), "c").getState().getTerminated();
        assertTrue(never != null && never.getExitCode() == 137, "never: " + kubelet.toJson(after.get("never").getStatus()));
        assertEquals(0, status(after.get("never"), "c").getRestartCount());
        ContainerStateTerminated ok = status(after.get("onfailok"), "c").getState().getTerminated();
        assertTrue(ok != null && ok.getExitCode() == 0, "onfailok: " + kubelet.toJson(after.get("onfailok").getStatus()));
        for (String name : List.of("never", "onfailok")) {
            String uid = uid(after.get(name));
            assertEquals(List.of(), dockerd.docker("ps", "-q", "--filter", "label=io.kubernetes.pod.uid=" + uid).lines().toList(),
                    name + ": something runs");
            assertEquals(2, dockerd.docker("ps", "-aq", "--filter", "label=io.kubernetes.pod.uid=" + uid).lines().count(),
                    name + ": want just the old sandbox and container");
        }

        // the reconnected shim still removes what it runs
        for (String name : manifests.keySet()) {
            kubelet.deleteManifest(name + ".yaml");
        }
        for (Pod p : after.values()) {
            String uid = uid(p);
            awaitTrue("no container of " + p.getMetadata().getName() + " left in the private dockerd", Duration.ofSeconds(45),
                    () -> dockerd.docker("ps", "-aq", "--filter", "label=io.kubernetes.pod.uid=" + uid).isBlank(),
                    () -> dockerd.docker("ps", "-a", "--filter", "label=io.kubernetes.pod.uid=" + uid));
        }
        System.out.printf("DockerRestartIT: last exit codes %s, restart counts %s; dockerd stop %.1f s, start again %.1f s, "
                        + "pods Running again %.1f s after dockerd answered%n", lastExit,
                after.values().stream().map(p -> p.getMetadata().getLabels().get("app") + "="
                        + status(p, "c").getRestartCount()).toList(),
                (tStopped - t0) / 1e9, (tStarted - tStopped) / 1e9 - 3, (tBack - tStarted) / 1e9);
    }

    /**
     * The shim's Docker client after a restart: connections pooled before it point at the gone daemon, yet every call
     * afterwards succeeds (none fails with "Broken pipe").
     */
    @Test
    void pooledDockerConnectionsDoNotFailCallsAfterTheRestart() throws Exception {
        DockerClient docker = DockerEndpoint.connect(dockerd.endpoint());
        int parallel = 8;
        // 8 connections at once, each held by an events stream that ends by itself two seconds from now, then pooled
        long until = Instant.now().getEpochSecond() + 2;
        ExecutorService threads = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<Boolean>> streams = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                streams.add(threads.submit(() -> docker.eventsCmd().withUntil(Long.toString(until))
                        .exec(new ResultCallback.Adapter<Event>()).awaitCompletion(20, TimeUnit.SECONDS)));
            }
            for (Future<Boolean> f : streams) {
                assertTrue(f.get(30, TimeUnit.SECONDS), "an events stream did not end");
            }
        } finally {
            threads.shutdownNow();
        }
        dockerd.stop();
        dockerd.startAgain();
        for (int i = 0; i < 2 * parallel; i++) {
            assertTrue(docker.versionCmd().exec().getVersion() != null, "call " + i);
        }
        docker.close();
    }

    /** The pod's one running sandbox in the private dockerd. */
    private static String runningSandbox(String podUid) {
        List<String> ids = dockerd.docker("ps", "-q", "--no-trunc", "--filter", "label=io.kubernetes.pod.uid=" + podUid,
                "--filter", "label=io.kubernetes.docker.type=podsandbox").lines().toList();
        assertEquals(1, ids.size(), "running sandboxes of pod " + podUid + ": " + ids);
        return ids.get(0);
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String execOk(String containerId, String script) {
        return dockerd.docker("exec", containerId, "sh", "-c", script).trim();
    }

    /** The one mount at {@code p}; fails when there is none or several are stacked. */
    private static MountInfo single(Path p) {
        List<MountInfo> at = mountsAt(p);
        assertEquals(1, at.size(), "want exactly one mount at " + p + ": " + describeMounts(at));
        return at.get(0);
    }
}
