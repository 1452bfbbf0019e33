package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code local} PVs naming a real block device (a loop device the test attaches itself over a sparse file: a real
 * kernel block device Skiff did not attach), a directory, and {@code hostPath} PVs, end to end in pods: a blank device
 * is formatted once, a device with data never, a Block PV is the device itself in the container, a path that is no
 * block device fails the mount with the reason, and Skiff leaves the test's device attached.
 */
class LocalPersistentVolumesIT extends VolumeItSupport {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final long SIZE = 64L << 20;

    /** Loop devices this test attached, detached after the kubelet and its containers are gone. */
    private final List<Path> devices = new ArrayList<>();

    @AfterEach
    @Override
    void cleanUp() throws Exception {
        try {
            super.cleanUp(); // the kubelet, the containers, their mounts: nothing holds the devices any more
        } finally {
            for (Path d : devices) {
                if (!isAttached(d)) {
                    continue; // the kubelet's cleanup detached it (its backing file is under the work dir)
                }
                String out = run(List.of("losetup", "-d", d.toString()), false);
                if (!out.isEmpty()) {
                    System.err.println("losetup -d " + d + ": " + out);
                }
            }
        }
    }

    /** A sparse file under the kubelet's work dir attached to a free loop device by {@code losetup}, not by Skiff. */
    private Path testDevice(String name, boolean withData) throws Exception {
        Path file = kubelet.rootDir().getParent().resolve("test-devices").resolve(name + ".img");
        Files.createDirectories(file.getParent());
        try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        if (withData) {
            Path content = Files.createDirectories(file.getParent().resolve(name + "-content"));
            Files.writeString(content.resolve("marker"), "precious");
            run(List.of("mkfs.ext4", "-q", "-F", "-d", content.toString(), file.toString()), true);
        }
        Path device = Path.of(run(List.of("losetup", "--find", "--show", file.toString()), true).strip());
        devices.add(device);
        return device;
    }

    private String localPv(String name, String path, String volumeMode) {
        return """
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: %s}
                spec:
                  capacity: {storage: 64Mi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: ""
                  persistentVolumeReclaimPolicy: Retain
                  volumeMode: %s
                  local: {path: %s, fsType: ext4}
                """.formatted(name, volumeMode, path);
    }

    private String claim(String name, String volumeName, String volumeMode) {
        return """
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: %s, namespace: %s}
                spec:
                  storageClassName: ""
                  volumeName: %s
                  volumeMode: %s
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 64Mi}}
                """.formatted(name, ns, volumeName, volumeMode);
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

    @Test
    void aBlankDeviceIsFormattedOnceKeepsItsDataAndIsLeftAttached() throws Exception {
        Path device = testDevice("blank", false);
        kubelet.writeManifest("storage.yaml", localPv("dev-blank", device.toString(), "Filesystem")
                + claim("data", "dev-blank", "Filesystem"));
        kubelet.writeManifest("writer.yaml", pod("writer", "data", "echo kept > /data/file && sleep 3600"));
        Pod w = awaitRunning("writer");
        awaitOutput(w, "c", "cat /data/file", "kept", WAIT);
        assertTrue(PodDocker.sh(dockerId(w, "c"), "grep ' /data ' /proc/mounts").contains("ext4"), "not ext4");
        assertEquals(1, formatCount(), "formatted once");
        assertEquals("ext4", run(List.of("blkid", "-p", "-s", "TYPE", "-o", "value", device.toString()), true).strip());
        String uuid = uuid(device);
        assertEquals(1, mountsAt(volumeDir(w, "local-volume", "dev-blank")).size(), "the PV-named pod dir");

        kubelet.deleteManifest("writer.yaml");
        kubelet.awaitPodGone("writer", WAIT);
        awaitTrue("the device unmounted everywhere", WAIT, () -> mountsOfDevice(device).isEmpty(),
                () -> describeMounts(mountTable()));
        assertTrue(isAttached(device), device + " was detached: Skiff did not attach it");

        kubelet.writeManifest("reader.yaml", pod("reader", "data", "sleep 3600"));
        Pod r = awaitRunning("reader");
        assertEquals("kept", PodDocker.sh(dockerId(r, "c"), "cat /data/file").trim());
        assertEquals(1, formatCount(), "formatted again");
        assertEquals(uuid, uuid(device));
    }

    @Test
    void aDeviceWithDataIsNeverFormatted() throws Exception {
        Path device = testDevice("full", true);
        String uuid = uuid(device);
        kubelet.writeManifest("storage.yaml", localPv("dev-full", device.toString(), "Filesystem")
                + claim("full", "dev-full", "Filesystem"));
        kubelet.writeManifest("pod.yaml", pod("reader", "full", "sleep 3600"));
        Pod p = awaitRunning("reader");
        assertEquals("precious", PodDocker.sh(dockerId(p, "c"), "cat /data/marker").trim());
        assertEquals(0, formatCount());
        assertEquals(uuid, uuid(device), "the filesystem was remade");
        assertTrue(kubelet.log().contains("already has ext4; kept it, not formatting"), "the guard is not logged");
    }

    @Test
    void aBlockModePvIsTheDeviceItselfAndIsLeftAttached() throws Exception {
        Path device = testDevice("raw", false);
        kubelet.writeManifest("storage.yaml", localPv("dev-raw", device.toString(), "Block")
                + claim("raw", "dev-raw", "Block"));
        kubelet.writeManifest("pod.yaml", podYaml("blk", """
                  volumes:
                  - {name: disk, persistentVolumeClaim: {claimName: raw}}
                """, container("c", "sleep 3600") + "    volumeDevices:\n    - {name: disk, devicePath: /dev/xvdb}\n"));
        Pod p = awaitRunning("blk");
        Path link = podDir(p).resolve("volumeDevices/kubernetes.io~local-volume/dev-raw");
        assertEquals(device, Files.readSymbolicLink(link), "upstream's pod device map path links the device");
        PodDocker.sh(dockerId(p, "c"), "echo from-the-pod | dd of=/dev/xvdb bs=512 count=1 conv=sync 2>/dev/null");
        String onHost = run(List.of("dd", "if=" + device, "bs=512", "count=1", "iflag=direct", "status=none"), true);
        assertTrue(onHost.startsWith("from-the-pod"), "the container wrote another device: " + onHost.strip());
        assertTrue(mountsOfDevice(device).isEmpty(), "a Block volume was mounted");
        assertEquals(0, formatCount());

        kubelet.deleteManifest("pod.yaml");
        kubelet.awaitPodGone("blk", WAIT);
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link outlived the pod");
        assertTrue(isAttached(device), device + " was detached: Skiff did not attach it");
    }

    @Test
    void aPathThatIsNoBlockDeviceFailsTheMountWithTheReason() throws Exception {
        kubelet.writeManifest("storage.yaml", localPv("not-a-disk", "/dev/null", "Filesystem")
                + claim("chr", "not-a-disk", "Filesystem") + "---\n"
                + localPv("no-disk", "/dev/skiff-no-such-disk", "Filesystem") + claim("none", "no-disk", "Filesystem"));
        kubelet.writeManifest("chr.yaml", pod("chr", "chr", "sleep 3600"));
        kubelet.writeManifest("none.yaml", pod("none", "none", "sleep 3600"));
        awaitFailedMount("chr", "local path /dev/null is not a directory, a regular file or a block device", WAIT);
        awaitFailedMount("none", "local path /dev/skiff-no-such-disk does not exist", WAIT);
    }

    @Test
    void aLocalDirectoryAndAHostPathPvAreMountedAsUpstream() throws Exception {
        Path local = tempDir("skiff-local-pv-");
        Files.writeString(local.resolve("in-local"), "local");
        Path host = tempDir("skiff-hostpath-pv-");
        Files.writeString(host.resolve("in-host"), "host");
        kubelet.writeManifest("storage.yaml", """
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: pv-hostpath}
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: ""
                  hostPath: {path: %s, type: Directory}
                """.formatted(host) + claim("hp", "pv-hostpath", "Filesystem") + "---\n"
                + localPv("pv-localdir", local.toString(), "Filesystem").replace("64Mi", "1Gi")
                + claim("dir", "pv-localdir", "Filesystem"));
        kubelet.writeManifest("pod.yaml", podYaml("both", """
                  volumes:
                  - {name: a, persistentVolumeClaim: {claimName: dir}}
                  - {name: b, persistentVolumeClaim: {claimName: hp}}
                """, container("c", "echo from-pod > /a/out && echo from-pod > /b/out && sleep 3600",
                mount("a", "/a"), mount("b", "/b"))));
        Pod p = awaitRunning("both");
        String c = dockerId(p, "c");
        assertEquals("local host", PodDocker.sh(c, "cat /a/in-local; echo; cat /b/in-host").replace('\n', ' ').trim());
        awaitTrue("the pod's writes on the host", WAIT,
                () -> Files.exists(local.resolve("out")) && Files.exists(host.resolve("out")), () -> "");
        Path localDir = volumeDir(p, "local-volume", "pv-localdir");
        assertEquals(1, mountsAt(localDir).size(), "the local dir is bound at the PV-named pod dir");
        assertFalse(Files.exists(podDir(p).resolve("volumes/kubernetes.io~host-path")),
                "a hostPath PV is the host's path itself, nothing under the pod");

        kubelet.deleteManifest("pod.yaml");
        kubelet.awaitPodGone("both", WAIT);
        assertEquals("from-pod", Files.readString(local.resolve("out")).trim(), "the local dir lost the pod's write");
        assertEquals("host", Files.readString(host.resolve("in-host")));
    }

    // ---- helpers

    private static boolean isAttached(Path device) throws IOException {
        return Files.exists(Path.of("/sys/block", device.getFileName().toString(), "loop", "backing_file"));
    }

    /** Mounts of the device's filesystem (its major:minor) anywhere in this mount namespace. */
    private static List<dev.skiff.volume.mount.MountInfo> mountsOfDevice(Path device) {
        try {
            long rdev = (Long) Files.getAttribute(device, "unix:rdev");
            long major = (rdev >>> 8) & 0xfff;
            long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
            return mountTable().stream().filter(m -> m.major() == major && m.minor() == minor).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String uuid(Path device) throws Exception {
        String uuid = run(List.of("blkid", "-p", "-s", "UUID", "-o", "value", device.toString()), true).strip();
        assertFalse(uuid.isEmpty(), "no UUID on " + device);
        return uuid;
    }

    /** Runs a command (60 s at most); with {@code check}, fails unless it exits 0. Returns its output. */
    private static String run(List<String> command, boolean check) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " timed out");
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (check) {
            assertEquals(0, p.exitValue(), command + ": " + s);
        }
        return s;
    }
}
