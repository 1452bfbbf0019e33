package dev.skiff.kubelet.it;

import dev.skiff.volume.block.KernelFilesystems;
import dev.skiff.volume.block.Mkfs;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** The PV the claim is bound to, from {@code /persistentvolumeclaims}. */
    private String volumeOf(String claim) throws Exception {
        return kubelet.persistentVolumeClaims().getItems().stream()
                .filter(c -> c.getMetadata().getName().equals(claim)).findFirst().orElseThrow().getSpec().getVolumeName();
    }

    private static String losetup() throws Exception {
        Process p = new ProcessBuilder("losetup", "-a").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    /** Waits until no loop device is backed by a file under the kubelet's root dir; returns what losetup saw last. */
    private String awaitNoLoopUnderRoot() throws Exception {
        String root = kubelet.rootDir().toRealPath().toString();
        long deadline = System.nanoTime() + WAIT.toNanos();
        String seen = losetup();
        while (seen.contains(root) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            seen = losetup();
        }
        return seen;
    }

    @Test
    void dataOutlivesThePodAndAKill9AndIsFormattedOnce() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("data", "ReadWriteOnce"));
        kubelet.writeManifest("writer.yaml", pod("writer", "data", "echo persisted > /data/file && sleep 3600"));
        Pod w = awaitRunning("writer");
        awaitOutput(w, "c", "cat /data/file", "persisted", WAIT);
        String pv = volumeOf("data");
        Path writerDir = volumeDir(w, "local-volume", pv);
        assertEquals(1, mountsAt(writerDir).size(), "the pod's dir is named after the PV, as upstream: "
                + describeMounts(mountsUnder(podDir(w))));
        assertFalse(Files.exists(volumeDir(w, "local-volume", "data")), "a dir named after the pod's volume");
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
        Path readerDir = volumeDir(r, "local-volume", pv);
        int readerMount = mountsAt(readerDir).get(0).mountId();

        kubelet.kill9();
        kubelet.start();
        Thread.sleep(4000); // the kubelet adopts the running pod and its volumes
        Pod again = awaitRunning("reader");
        assertEquals(dockerId(r, "c"), dockerId(again, "c"), "the reader was restarted");
        assertEquals(before, globalMounts(), "the global mount was remounted or stacked");
        assertEquals(List.of(readerMount), mountsAt(readerDir).stream().map(m -> m.mountId()).toList(),
                "the PV-named dir was not adopted as it was");
        assertEquals("persisted", PodDocker.sh(dockerId(again, "c"), "cat /data/file").trim());
        assertEquals(1, formatCount(), "formatted again after the restart");
    }

    @Test
    void anXfsStorageClassGivesTheContainerAnXfsVolume() throws Exception {
        assertTrue(Mkfs.xfsAvailable(), "mkfs.xfs is not installed: hack/install-host-deps.sh installs xfsprogs");
        Assumptions.assumeTrue(KernelFilesystems.listed("xfs"), "this kernel has no xfs filesystem (/proc/filesystems)");
        String storage = storage("x", "ReadWriteOnce").replace("reclaimPolicy: Delete",
                "reclaimPolicy: Delete\nparameters: {fsType: xfs}").replace("storage: 32Mi", "storage: 320Mi");
        kubelet.writeManifest("storage.yaml", storage);
        kubelet.writeManifest("pod.yaml", pod("xfs", "x", "echo on-xfs > /data/file && sleep 3600"));
        Pod p = awaitRunning("xfs");
        awaitOutput(p, "c", "cat /data/file", "on-xfs", WAIT);
        assertTrue(PodDocker.sh(dockerId(p, "c"), "grep ' /data ' /proc/mounts").contains(" xfs "),
                "not an xfs volume: " + PodDocker.sh(dockerId(p, "c"), "grep ' /data ' /proc/mounts"));
        assertEquals(1, formatCount());
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
        Path link = podDir(p).resolve("volumeDevices/kubernetes.io~local-volume").resolve(volumeOf("raw"));
        assertTrue(Files.isSymbolicLink(link), "upstream's pod device map path " + link);
        assertTrue(Files.readSymbolicLink(link).toString().startsWith("/dev/loop"), link + " -> " + Files.readSymbolicLink(link));
        assertEquals("block", PodDocker.sh(c, "[ -b /dev/xvda ] && echo block || echo not").trim());
        PodDocker.sh(c, "echo raw-bytes | dd of=/dev/xvda bs=512 count=1 conv=sync 2>/dev/null");
        assertEquals("raw-bytes", PodDocker.sh(c, "dd if=/dev/xvda bs=512 count=1 2>/dev/null | head -c 9").trim());
        assertEquals(0, formatCount(), "a Block volume is never formatted");
        assertTrue(globalMounts().isEmpty(), "a Block volume is never mounted: " + globalMounts());
        String losetup = new String(new ProcessBuilder("losetup", "-a").start().getInputStream().readAllBytes());
        assertTrue(losetup.contains(kubelet.rootDir().toRealPath().toString()), "no loop device: " + losetup);

        kubelet.deleteManifest("pod.yaml");
        kubelet.awaitPodGone("blk", WAIT);
        losetup = awaitNoLoopUnderRoot();
        assertFalse(losetup.contains(kubelet.rootDir().toRealPath().toString()), "the loop device outlived its pod: " + losetup);
    }

    @Test
    void theLoopOfABlockPodDeletedWhileSkiffWasDownIsDetachedAfterTheRestart() throws Exception {
        String storage = storage("raw", "ReadWriteOnce").replace("accessModes: [ReadWriteOnce]",
                "accessModes: [ReadWriteOnce]\n  volumeMode: Block");
        kubelet.writeManifest("storage.yaml", storage);
        kubelet.writeManifest("pod.yaml", podYaml("blk", """
                  volumes:
                  - {name: disk, persistentVolumeClaim: {claimName: raw}}
                """, container("c", "sleep 3600") + "    volumeDevices:\n    - {name: disk, devicePath: /dev/xvda}\n"));
        Pod p = awaitRunning("blk");
        String pv = volumeOf("raw");
        Path file = kubelet.rootDir().toRealPath().resolve("storage/loopback/" + pv + ".img");
        assertTrue(losetup().contains(file.toString()), "not attached: " + losetup());

        kubelet.kill9();
        kubelet.deleteManifest("pod.yaml");
        kubelet.start();
        awaitNoContainers(uid(p), Duration.ofSeconds(45));
        String seen = awaitNoLoopUnderRoot();
        assertFalse(seen.contains(file.toString()), "the loop device of the gone pod is still attached: " + seen
                + "\n" + kubelet.logTail());
        assertTrue(Files.exists(file), "the backing file of a claim that still exists went");
        awaitTrue("the gone pod's dir removed", WAIT, () -> !Files.exists(podDir(p)), () -> podDir(p).toString());

        String classOnly = storage.substring(0, storage.indexOf("---"));
        kubelet.writeManifest("storage.yaml", classOnly);
        awaitTrue("the backing file deleted with its claim (reclaimPolicy Delete)", WAIT, () -> !Files.exists(file),
                file::toString);
    }

    private static String pinnedPv(String name, String host, String claim, String ns) {
        return """
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: %1$s}
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: ""
                  hostPath: {path: /tmp}
                  nodeAffinity:
                    required:
                      nodeSelectorTerms:
                      - matchExpressions:
                        - {key: kubernetes.io/hostname, operator: In, values: [%2$s]}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: %3$s, namespace: %4$s}
                spec:
                  storageClassName: ""
                  volumeName: %1$s
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
                """.formatted(name, host, claim, ns);
    }

    @Test
    void provisionedVolumesArePinnedToThisNodeAndAVolumeOfAnotherNodeKeepsThePodPending() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("data", "ReadWriteOnce"));
        kubelet.writeManifest("pinned.yaml", pinnedPv("far", "some-other-node", "far", ns) + "---\n"
                + pinnedPv("near", kubelet.nodeName(), "near", ns));
        kubelet.writeManifest("pod.yaml", pod("user", "data", "sleep 3600"));
        awaitRunning("user");
        String provisioned = volumeOf("data");
        var pv = kubelet.persistentVolumes().getItems().stream()
                .filter(v -> v.getMetadata().getName().equals(provisioned)).findFirst().orElseThrow();
        assertEquals(kubelet.nodeName(), pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0)
                .getMatchExpressions().get(0).getValues().get(0), "not pinned to this node: " + pv.getSpec());

        kubelet.writeManifest("far.yaml", pod("far", "far", "sleep 3600"));
        awaitFailedMount("far",
                "MountVolume.NodeAffinity check failed for volume \"data\" : no matching NodeSelectorTerms", WAIT);
        kubelet.writeManifest("near.yaml", pod("near", "near", "sleep 3600"));
        awaitRunning("near");
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
