package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pods using persistentVolumeClaim volumes: provision → bind → attach (loop device) → mkfs → global mount → bind into
 * the pod; the data outlives the pod and a kill -9 of Skiff, and is never formatted twice; ReadWriteOncePod admits one
 * pod; a missing claim keeps the pod Pending until it appears; a claim in use is kept until its pod is gone.
 */
class PersistentClaimsInPodsIT extends VolumeItSupport {
    private static final Duration WAIT = Duration.ofSeconds(40);

    private String storage(String claim, String accessMode) {
        return """
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: loop}
                provisioner: skiff.dev/loopback
                reclaimPolicy: Delete
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: %s, namespace: %s}
                spec:
                  storageClassName: loop
                  accessModes: [%s]
                  resources: {requests: {storage: 32Mi}}
                """.formatted(claim, ns, accessMode);
    }

    private String pod(String name, String claim, String script) {
        return podYaml(name, """
                  volumes:
                  - {name: data, persistentVolumeClaim: {claimName: %s}}
                """.formatted(claim), container("c", script, mount("data", "/data")));
    }

    private long formatCount() {
        return kubelet.log().lines().filter(l -> l.contains("PersistentClaimPlugin") && l.contains(": formatted ")).count();
    }

    private List<String> globalMounts() throws Exception {
        Path globals = kubelet.rootDir().toRealPath().resolve("plugins/kubernetes.io/local-volume/mounts");
        return Files.readAllLines(MOUNTINFO).stream().filter(l -> l.split(" ")[4].startsWith(globals.toString()))
                .map(l -> l.split(" ")[0] + " " + l.split(" ")[4]).toList();
    }

    @Test
    void dataOutlivesThePodAndAKill9AndIsFormattedOnce() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("data", "ReadWriteOnce"));
        kubelet.writeManifest("writer.yaml", pod("writer", "data", "echo persisted > /data/file && sleep 3600"));
        Pod w = awaitRunning("writer");
        awaitOutput(w, "c", "cat /data/file", "persisted", WAIT);
        assertTrue(PodDocker.sh(dockerId(w, "c"), "grep ' /data ' /proc/mounts").contains("ext4"), "not the ext4 volume");
        assertEquals(1, formatCount());

        kubelet.deleteManifest("writer.yaml");
        kubelet.awaitPodGone("writer", WAIT);
        assertTrue(globalMounts().isEmpty(), "the global mount outlived its last pod: " + globalMounts());

        kubelet.writeManifest("reader.yaml", pod("reader", "data", "sleep 3600"));
        Pod r = awaitRunning("reader");
        assertEquals("persisted", PodDocker.sh(dockerId(r, "c"), "cat /data/file").trim());
        List<String> before = globalMounts();
        assertEquals(1, before.size(), before.toString());

        kubelet.kill9();
        kubelet.start();
        Thread.sleep(4000); // the kubelet adopts the running pod and its volumes
        Pod again = awaitRunning("reader");
        assertEquals(dockerId(r, "c"), dockerId(again, "c"), "the reader was restarted");
        assertEquals(before, globalMounts(), "the global mount was remounted or stacked");
        assertEquals("persisted", PodDocker.sh(dockerId(again, "c"), "cat /data/file").trim());
        assertEquals(1, formatCount(), "formatted again after the restart");
    }

    @Test
    void blockClaimIsARawDeviceInTheContainerAndItsLoopGoesWithThePod() throws Exception {
        String storage = storage("raw", "ReadWriteOnce").replace("accessModes: [ReadWriteOnce]",
                "accessModes: [ReadWriteOnce]\n  volumeMode: Block");
        kubelet.writeManifest("storage.yaml", storage);
        kubelet.writeManifest("pod.yaml", podYaml("blk", """
                  volumes:
                  - {name: disk, persistentVolumeClaim: {claimName: raw}}
                """, container("c", "sleep 3600") + "    volumeDevices:\n    - {name: disk, devicePath: /dev/xvda}\n"));
        Pod p = awaitRunning("blk");
        String c = dockerId(p, "c");
        assertEquals("block", PodDocker.sh(c, "[ -b /dev/xvda ] && echo block || echo not").trim());
        PodDocker.sh(c, "echo raw-bytes | dd of=/dev/xvda bs=512 count=1 conv=sync 2>/dev/null");
        assertEquals("raw-bytes", PodDocker.sh(c, "dd if=/dev/xvda bs=512 count=1 2>/dev/null | head -c 9").trim());
        assertEquals(0, formatCount(), "a Block volume is never formatted");
        assertTrue(globalMounts().isEmpty(), "a Block volume is never mounted: " + globalMounts());
        String losetup = new String(new ProcessBuilder("losetup", "-a").start().getInputStream().readAllBytes());
        assertTrue(losetup.contains(kubelet.rootDir().toRealPath().toString()), "no loop device: " + losetup);

        kubelet.deleteManifest("pod.yaml");
        kubelet.awaitPodGone("blk", WAIT);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            losetup = new String(new ProcessBuilder("losetup", "-a").start().getInputStream().readAllBytes());
            if (!losetup.contains(kubelet.rootDir().toRealPath().toString())) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(!losetup.contains(kubelet.rootDir().toRealPath().toString()), "the loop device outlived its pod: " + losetup);
    }

    @Test
    void readWriteOncePodAdmitsOnePodAndTheSecondWaitsWithTheReason() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("solo", "ReadWriteOncePod"));
        kubelet.writeManifest("first.yaml", pod("first", "solo", "sleep 3600"));
        awaitRunning("first");
        kubelet.writeManifest("second.yaml", pod("second", "solo", "sleep 3600"));
        awaitFailedMount("second", "uses the ReadWriteOncePod access mode and is in use by another pod", WAIT);

        kubelet.deleteManifest("first.yaml");
        kubelet.awaitPodGone("first", WAIT);
        kubelet.awaitPod("second", KubeletItSupport::allRunning, WAIT, "Running once the first pod is gone");
    }

    @Test
    void missingClaimKeepsThePodPendingUntilItExists() throws Exception {
        kubelet.writeManifest("pod.yaml", pod("early", "later", "sleep 3600"));
        awaitFailedMount("early", "persistentvolumeclaim \"later\" not found", WAIT);
        kubelet.writeManifest("storage.yaml", storage("later", "ReadWriteOnce"));
        kubelet.awaitPod("early", KubeletItSupport::allRunning, WAIT, "Running once its claim exists");
    }

    @Test
    void aClaimInUseIsKeptUntilItsPodIsGone() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("kept", "ReadWriteOnce"));
        kubelet.writeManifest("pod.yaml", pod("user", "kept", "sleep 3600"));
        awaitRunning("user");
        String pv = kubelet.persistentVolumeClaims().getItems().stream()
                .filter(c -> c.getMetadata().getName().equals("kept")).findFirst().orElseThrow().getSpec().getVolumeName();
        Path file = kubelet.rootDir().toRealPath().resolve("storage/loopback/" + pv + ".img");
        assertTrue(Files.exists(file));

        String classOnly = storage("kept", "ReadWriteOnce");
        kubelet.writeManifest("storage.yaml", classOnly.substring(0, classOnly.indexOf("---")));
        Thread.sleep(3000);
        assertTrue(Files.exists(file), "the volume of a claim in use was deleted");
        assertTrue(kubelet.persistentVolumeClaims().getItems().stream().anyMatch(c -> c.getMetadata().getName().equals("kept")),
                "a claim in use went away");

        kubelet.deleteManifest("pod.yaml");
        kubelet.awaitPodGone("user", WAIT);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(!Files.exists(file), "the claim's volume was not deleted after its pod went\n" + kubelet.logTail());
    }
}
