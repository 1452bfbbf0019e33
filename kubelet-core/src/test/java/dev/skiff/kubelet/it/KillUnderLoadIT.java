package dev.skiff.kubelet.it;

import com.github.dockerjava.api.model.Container;
import dev.skiff.volume.mount.MountInfo;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 6 fault: Skiff killed with -9 under load (20 pods, while it is busy) and started again, as systemd's
 * Restart=always does, adopts everything and restarts nothing: the same sandboxes and containers (same ids, same
 * start times, none added), restart counts unchanged, the same volume mounts (same mount ids), every pod Running and
 * Ready. Deleting the manifests afterwards still cleans everything up.
 */
class KillUnderLoadIT extends VolumeItSupport {
    /** Generous: 20 pods start on a shared 2-core machine that other builds keep busy. */
    private static final Duration ALL_RUNNING = Duration.ofSeconds(180);

    /** manifest name → yaml; 20 pods of five kinds. */
    private Map<String, String> twentyPods() {
        Map<String, String> pods = new LinkedHashMap<>();
        for (int i = 1; i <= 6; i++) {
            pods.put("plain" + i, podYaml("plain" + i, "", container("main", "sleep 3600")));
        }
        for (int i = 1; i <= 5; i++) {
            pods.put("disk" + i, podYaml("disk" + i, "  volumes:\n  - name: data\n    emptyDir: {}\n",
                    container("main", "echo disk > /data/marker && sleep 3600", mount("data", "/data"))));
        }
        for (int i = 1; i <= 3; i++) {
            pods.put("mem" + i, podYaml("mem" + i,
                    "  volumes:\n  - name: mem\n    emptyDir:\n      medium: Memory\n      sizeLimit: 1Mi\n",
                    container("main", "echo mem > /mem/marker && sleep 3600", mount("mem", "/mem"))));
        }
        for (int i = 1; i <= 4; i++) {
            pods.put("two" + i, podYaml("two" + i, "",
                    container("web", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"),
                    container("side", "sleep 3600")));
        }
        // restartPolicy Always with a container that failed once and now runs (restartCount 1)
        for (int i = 1; i <= 2; i++) {
            pods.put("again" + i, podYaml("again" + i,
                    "  restartPolicy: Always\n  volumes:\n  - name: state\n    emptyDir: {}\n",
                    container("main", "if [ -f /state/once ]; then exec sleep 3600; fi; touch /state/once; exit 3",
                            mount("state", "/state"))));
        }
        return pods;
    }

    @Test
    void killedUnderLoadAdoptsEverythingAndRestartsNothing() throws Exception {
        long t0 = System.nanoTime();
        Map<String, String> manifests = twentyPods();
        assertEquals(20, manifests.size());
        for (Map.Entry<String, String> m : manifests.entrySet()) {
            kubelet.writeManifest(m.getKey() + ".yaml", m.getValue());
        }
        Map<String, Pod> before = awaitAllSettled(manifests.keySet());
        long tRunning = System.nanoTime();
        for (int i = 1; i <= 2; i++) {
            assertEquals(1, status(before.get("again" + i), "main").getRestartCount(), "again" + i + " restarted once");
        }
        Map<String, String> dockerBefore = dockerState(before.values());
        // 20 sandboxes, 24 running app containers, and the 2 dead first attempts of again1/again2
        assertEquals(20 + 24 + 2, dockerBefore.size(), "Docker containers of the 20 pods: " + dockerBefore);
        Map<Integer, String> mountsBefore = mountIds(kubelet.rootDir());
        assertTrue(mountsBefore.values().stream().filter(m -> m.endsWith("kubernetes.io~empty-dir/mem")).count() == 3,
                "the 3 Memory emptyDirs are mounted: " + mountsBefore);
        List<Path> logFilesBefore = logFiles();
        assertEquals(26, logFilesBefore.size(), "a log file per container instance, silent ones too: " + logFilesBefore);

        // busy: every manifest rewritten (same content, so the same pods) and killed at once, while the file source
        // and the pod workers handle the burst
        for (Map.Entry<String, String> m : manifests.entrySet()) {
            kubelet.writeManifest(m.getKey() + ".yaml", m.getValue());
        }
        kubelet.kill9();
        assertEquals(dockerBefore, dockerState(before.values()), "containers changed while Skiff was dead");
        // killed again during its first seconds: adopting 20 pods, rebuilding volume state, first relist
        kubelet.start();
        Thread.sleep(700);
        kubelet.kill9();
        long tKilled = System.nanoTime();

        kubelet.start();
        Map<String, Pod> after = awaitAllSettled(manifests.keySet());
        long tAdopted = System.nanoTime();
        // several relists, syncs and reconciler rounds before judging
        Thread.sleep(5_000);
        after = currentPods(manifests.keySet());

        for (String name : manifests.keySet()) {
            Pod b = before.get(name);
            Pod a = after.get(name);
            assertEquals(uid(b), uid(a), name + ": uid changed");
            assertTrue(allRunning(a) && ready(a), name + " not Running and Ready: " + kubelet.toJson(a.getStatus()));
            for (ContainerStatus cs : b.getStatus().getContainerStatuses()) {
                ContainerStatus now = status(a, cs.getName());
                assertEquals(cs.getContainerID(), now.getContainerID(), name + "/" + cs.getName() + " replaced");
                assertEquals(cs.getRestartCount(), now.getRestartCount(), name + "/" + cs.getName() + " restartCount");
            }
        }
        assertEquals(dockerBefore, dockerState(before.values()),
                "Docker containers differ after the restart (new, removed or restarted)\n" + kubelet.logTail());
        assertEquals(mountsBefore, mountIds(kubelet.rootDir()),
                "mounts under the root dir differ after the restart (remounted, stacked or lost)");
        assertEquals(logFilesBefore, logFiles(), "container log files added or lost");
        // the adopted containers still see their volumes
        assertEquals("mem", PodDocker.sh(dockerId(after.get("mem1"), "main"), "cat /mem/marker"));
        assertEquals("disk", PodDocker.sh(dockerId(after.get("disk1"), "main"), "cat /data/marker"));
        long tChecked = System.nanoTime();

        for (String name : manifests.keySet()) {
            kubelet.deleteManifest(name + ".yaml");
        }
        for (Pod p : before.values()) {
            awaitNoContainers(uid(p), Duration.ofSeconds(120));
        }
        Path pods = kubelet.rootDir().resolve("pods");
        awaitTrue("every pod dir removed and nothing mounted under " + pods, Duration.ofSeconds(120),
                () -> mountsUnder(pods).isEmpty() && list(pods).isEmpty(),
                () -> describeMounts(mountsUnder(pods)) + " dirs " + list(pods));
        awaitTrue("no pod listed", Duration.ofSeconds(60), () -> kubelet.pods().getItems().isEmpty(),
                () -> kubelet.toJson(kubelet.pods()));
        awaitTrue("every pod log dir removed", Duration.ofSeconds(60), () -> list(kubelet.podLogsDir()).isEmpty(),
                () -> list(kubelet.podLogsDir()).toString());
        long tClean = System.nanoTime();
        System.out.printf("KillUnderLoadIT timings: 20 pods running %.1f s, two kills %.1f s, adopted %.1f s, "
                        + "checked %.1f s, cleaned up %.1f s, total %.1f s%n",
                secs(tRunning - t0), secs(tKilled - tRunning), secs(tAdopted - tKilled), secs(tChecked - tAdopted),
                secs(tClean - tChecked), secs(tClean - t0));
    }

    /** Every pod Running and Ready, with the two restart-once pods past their restart. */
    private Map<String, Pod> awaitAllSettled(Iterable<String> names) throws InterruptedException {
        Map<String, Pod> out = new LinkedHashMap<>();
        for (String name : names) {
            out.put(name, kubelet.awaitPod(name, p -> allRunning(p) && ready(p)
                            && (!name.startsWith("again") || status(p, "main").getRestartCount() == 1),
                    ALL_RUNNING, "Running and Ready"));
        }
        return out;
    }

    private Map<String, Pod> currentPods(Iterable<String> names) {
        Map<String, Pod> out = new LinkedHashMap<>();
        for (String name : names) {
            out.put(name, kubelet.pod(name).orElseThrow(() -> new AssertionError(name + " not listed\n" + kubelet.logTail())));
        }
        return out;
    }

    static boolean ready(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** id → "name state startedAt" of every Docker container (any state) of the pods. */
    private static Map<String, String> dockerState(Iterable<Pod> pods) {
        Map<String, String> out = new TreeMap<>();
        for (Pod p : pods) {
            for (Container c : PodDocker.all(uid(p))) {
                String startedAt = PodDocker.inspect(c.getId()).map(i -> i.getState().getStartedAt()).orElse("?");
                out.put(c.getId(), PodDocker.name(c) + " " + c.getState() + " " + startedAt);
            }
        }
        return out;
    }

    /** mount id → mount point of every mount at or below {@code dir}. */
    private static Map<Integer, String> mountIds(Path dir) {
        Map<Integer, String> out = new TreeMap<>();
        for (MountInfo m : mountsUnder(dir)) {
            out.put(m.mountId(), m.mountPoint());
        }
        return out;
    }

    private List<Path> logFiles() throws IOException {
        try (Stream<Path> s = Files.walk(kubelet.podLogsDir())) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.toList());
        } catch (IOException e) {
            return List.of(dir.resolve("<" + e + ">"));
        }
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }
}
