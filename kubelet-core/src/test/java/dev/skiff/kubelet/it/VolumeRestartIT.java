package dev.skiff.kubelet.it;

import dev.skiff.volume.mount.MountInfo;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Volumes across a kill -9 of Skiff: the restarted kubelet rebuilds its actual state from the pod dirs and the mount
 * table and adopts what is mounted (same mount ids, nothing stacked, containers untouched), and cleans up the volumes
 * of a pod whose manifest went while it was down.
 */
class VolumeRestartIT extends VolumeItSupport {
    private static final Duration SHORT = Duration.ofSeconds(60);

    /**
     * ConfigMap, Secret and a pod using an emptyDir, a Memory emptyDir, both objects, and subPaths of the emptyDir
     * and of a hostPath {@code host} (which must hold a directory {@code kept}).
     */
    private String podWithEveryKind(String name, Path host) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "-cfg\n  namespace: " + ns + "\n"
                + "data:\n  key: config-value\n---\n"
                + "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "-sec\n  namespace: " + ns + "\n"
                + "type: Opaque\ndata:\n  password: czNjcjN0\n---\n" // "s3cr3t"
                + podYaml(name, "  volumes:\n"
                                + "  - name: scratch\n    emptyDir: {}\n"
                                + "  - name: mem\n    emptyDir:\n      medium: Memory\n      sizeLimit: 2Mi\n"
                                + "  - name: sec\n    secret:\n      secretName: " + name + "-sec\n"
                                + "  - name: cfg\n    configMap:\n      name: " + name + "-cfg\n"
                                + "  - name: host\n    hostPath:\n      path: " + host + "\n      type: Directory\n",
                        container("c", "echo on-disk > /scratch/marker && echo in-memory > /mem/marker && sleep 3600",
                                mount("scratch", "/scratch"), mount("mem", "/mem"), mount("sec", "/sec"),
                                mount("cfg", "/cfg"), mount("scratch", "/part", "subPath: part"),
                                mount("host", "/host", "subPath: kept")));
    }

    @Test
    void killedKubeletAdoptsMountedVolumesWithoutRemounting() throws Exception {
        kubelet.writeManifest("vr.yaml", podWithEveryKind("vr", hostDir()));
        Pod p = awaitRunning("vr");
        String c = dockerId(p, "c");
        awaitOutput(p, "c", "cat /mem/marker /scratch/marker", "in-memory\non-disk", SHORT);
        assertEquals("s3cr3t", PodDocker.sh(c, "cat /sec/password"));
        assertEquals("config-value", PodDocker.sh(c, "cat /cfg/key"));

        Path mem = volumeDir(p, "empty-dir", "mem");
        Path sec = volumeDir(p, "secret", "sec");
        Map<Integer, String> before = mountIds(podDir(p));
        assertEquals("tmpfs", single(mem).fsType());
        assertEquals("tmpfs", single(sec).fsType());
        int memId = single(mem).mountId();
        int secId = single(sec).mountId();
        assertTrue(before.values().stream().anyMatch(mp -> mp.contains("/volume-subpaths/scratch/c/")),
                "the subPath bind: " + before);

        kubelet.kill9();
        assertEquals(before, mountIds(podDir(p)), "the mounts changed while the kubelet was dead");
        kubelet.start();

        Pod again = awaitRunning("vr");
        assertEquals(uid(p), uid(again), "the static pod's uid changed across the restart");
        // let the reconciler and several syncs run before judging
        Thread.sleep(5_000);
        again = kubelet.pod("vr").orElseThrow();

        assertEquals(memId, single(mem).mountId(), "the Memory emptyDir was remounted");
        assertEquals(secId, single(sec).mountId(), "the secret tmpfs was remounted");
        assertEquals(before, mountIds(podDir(p)), "mounts under the pod dir differ after the restart (stacked or remounted)");
        assertEquals(c, dockerId(again, "c"), "the container was replaced");
        assertEquals(0, status(again, "c").getRestartCount(), "restartCount");
        // the container still works on the very same volumes
        assertEquals("in-memory\non-disk", PodDocker.sh(c, "cat /mem/marker /scratch/marker"));
        assertEquals("s3cr3t", PodDocker.sh(c, "cat /sec/password"));
        assertEquals("config-value", PodDocker.sh(c, "cat /cfg/key"));
        assertEquals("the host's own", PodDocker.sh(c, "cat /host/file"));

        String log = kubelet.log();
        for (String v : List.of("scratch", "mem", "sec", "cfg")) {
            assertTrue(log.lines().anyMatch(l -> l.contains("volume \"" + v + "\" (") && l.contains("adopted from an earlier run")),
                    "no adoption logged for volume " + v + "\n" + kubelet.logTail());
        }
    }

    @Test
    void volumesOfAPodDeletedWhileDownAreCleanedUpAfterRestart() throws Exception {
        Path goneHost = hostDir();
        kubelet.writeManifest("gone.yaml", podWithEveryKind("gone", goneHost));
        kubelet.writeManifest("keep.yaml", podWithEveryKind("keep", hostDir()));
        Pod gone = awaitRunning("gone");
        Pod keep = awaitRunning("keep");
        Path goneDir = podDir(gone);
        List<MountInfo> goneMounts = mountsUnder(goneDir);
        assertTrue(goneMounts.size() >= 4, "tmpfs of mem and sec, and two subPath binds: " + describeMounts(goneMounts));
        Map<Integer, String> keepBefore = mountIds(podDir(keep));

        kubelet.kill9();
        kubelet.deleteManifest("gone.yaml");
        kubelet.start();

        awaitNoContainers(uid(gone), Duration.ofSeconds(45));
        awaitTrue("no mount under " + goneDir + " and the dir removed", Duration.ofSeconds(30),
                () -> mountsUnder(goneDir).isEmpty() && !Files.exists(goneDir),
                () -> describeMounts(mountsUnder(goneDir)) + " exists=" + Files.exists(goneDir));
        assertFalse(kubelet.pod("gone").isPresent(), "the deleted pod is still listed");
        assertEquals("the host's own", Files.readString(goneHost.resolve("kept/file"), StandardCharsets.UTF_8),
                "the hostPath's content was touched by the cleanup");

        Pod keep2 = awaitRunning("keep");
        assertEquals(dockerId(keep, "c"), dockerId(keep2, "c"), "the other pod's container was replaced");
        assertEquals(keepBefore, mountIds(podDir(keep)), "the other pod's mounts changed");
        assertEquals("s3cr3t", PodDocker.sh(dockerId(keep2, "c"), "cat /sec/password"));
    }

    private Path hostDir() throws IOException {
        Path host = tempDir("skiff-hostpath-");
        Files.createDirectory(host.resolve("kept"));
        Files.writeString(host.resolve("kept/file"), "the host's own");
        return host;
    }

    /** The one mount at {@code p}; fails when there is none or several are stacked. */
    private static MountInfo single(Path p) {
        List<MountInfo> at = mountsAt(p);
        assertEquals(1, at.size(), "want exactly one mount at " + p + ": " + describeMounts(at));
        return at.get(0);
    }

    /** mount id → mount point of every mount at or below {@code dir}. */
    private static Map<Integer, String> mountIds(Path dir) {
        Map<Integer, String> out = new TreeMap<>();
        for (MountInfo m : mountsUnder(dir)) {
            out.put(m.mountId(), m.mountPoint());
        }
        return out;
    }
}
