package dev.skiff.kubelet.it;

import dev.skiff.volume.mount.MountInfo;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * emptyDir and hostPath end to end: what the containers see, what lies on the host (upstream's
 * {@code pods/<uid>/volumes/kubernetes.io~empty-dir/<name>} layout, tmpfs with its size, hostPath types created or
 * refused), host-to-container mount propagation, and nothing left mounted or on disk after the pod goes.
 */
class EmptyDirHostPathIT extends VolumeItSupport {
    private static final Duration SHORT = Duration.ofSeconds(60);

    @Test
    void emptyDirIsSharedBetweenContainersAndLivesInThePodVolumeDir() throws Exception {
        kubelet.writeManifest("share.yaml", podYaml("share", "  volumes:\n  - name: shared\n    emptyDir: {}\n",
                container("writer", "echo written-by-writer > /data/msg && sleep 3600", mount("shared", "/data")),
                container("reader", "sleep 3600", mount("shared", "/in"))));
        Pod p = awaitRunning("share");

        awaitOutput(p, "reader", "cat /in/msg", "written-by-writer", SHORT);
        Path dir = volumeDir(p, "empty-dir", "shared");
        assertTrue(Files.isDirectory(dir), dir + " is not a directory");
        assertEquals("written-by-writer\n", Files.readString(dir.resolve("msg"), StandardCharsets.UTF_8),
                "the host's emptyDir holds the file the container wrote");
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)),
                "emptyDir is world-writable, as upstream makes it");
        assertTrue(mountsAt(dir).isEmpty(), "a disk emptyDir is a plain directory, not a mount: "
                + describeMounts(mountsAt(dir)));

        // and back the other way: the reader's write reaches the writer and the host
        PodDocker.sh(dockerId(p, "reader"), "echo back > /in/reply");
        assertEquals("back", PodDocker.sh(dockerId(p, "writer"), "cat /data/reply"));
        assertEquals("back\n", Files.readString(dir.resolve("reply"), StandardCharsets.UTF_8));
    }

    @Test
    void memoryEmptyDirIsTmpfsOfItsSizeLimit() throws Exception {
        kubelet.writeManifest("mem.yaml", podYaml("mem",
                "  volumes:\n  - name: mem\n    emptyDir:\n      medium: Memory\n      sizeLimit: 1Mi\n",
                container("c", "sleep 3600", mount("mem", "/mem"))));
        Pod p = awaitRunning("mem");

        Path dir = volumeDir(p, "empty-dir", "mem");
        List<MountInfo> at = mountsAt(dir);
        assertEquals(1, at.size(), "one mount at " + dir + ": " + describeMounts(at));
        assertEquals("tmpfs", at.get(0).fsType(), describeMounts(at));
        assertTrue(List.of(at.get(0).superOptions().split(",")).contains("size=1024k"),
                "tmpfs of 1Mi: " + describeMounts(at));

        // inside: the same tmpfs, and 1 MiB is all there is
        String inside = PodDocker.sh(dockerId(p, "c"), "grep ' /mem ' /proc/self/mountinfo");
        assertTrue(inside.contains(" tmpfs ") && inside.contains("size=1024k"), "inside the container: " + inside);
        PodDocker.ExecResult big = exec(p, "c", "dd if=/dev/zero of=/mem/big bs=1024 count=2048");
        assertNotEquals(0, big.exitCode(), "writing 2 MiB into a 1 MiB tmpfs succeeded: " + big.stderr());
        assertTrue(big.stderr().contains("No space left on device"), "dd: " + big.stderr());
        PodDocker.sh(dockerId(p, "c"), "rm -f /mem/big");
        PodDocker.ExecResult small = exec(p, "c", "dd if=/dev/zero of=/mem/small bs=1024 count=512");
        assertEquals(0, small.exitCode(), "writing 512 KiB failed: " + small.stderr());
        assertEquals(512 * 1024, Files.size(dir.resolve("small")), "the host sees the container's file on the tmpfs");
    }

    @Test
    void hostPathTypesCreateCheckOrRefuse() throws Exception {
        Path host = tempDir("skiff-hostpath-");
        Path dirOrCreate = host.resolve("made/by/kubelet");
        Path fileOrCreate = host.resolve("made-file");
        Path socket = host.resolve("test.sock");
        Path missing = host.resolve("missing");
        Path existingDir = Files.createDirectory(host.resolve("a-dir"));

        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));

            kubelet.writeManifest("good.yaml", podYaml("good", "  volumes:\n"
                            + hostPathVolume("doc", dirOrCreate, "DirectoryOrCreate")
                            + hostPathVolume("foc", fileOrCreate, "FileOrCreate")
                            + hostPathVolume("devnull", Path.of("/dev/null"), "CharDevice")
                            + hostPathVolume("sock", socket, "Socket"),
                    container("c", "sleep 3600", mount("doc", "/doc"), mount("foc", "/foc"),
                            mount("devnull", "/devnull"), mount("sock", "/sock"))));
            kubelet.writeManifest("not-a-file.yaml", podYaml("not-a-file",
                    "  volumes:\n" + hostPathVolume("v", existingDir, "File"),
                    container("c", "sleep 3600", mount("v", "/v"))));
            kubelet.writeManifest("not-a-dir.yaml", podYaml("not-a-dir",
                    "  volumes:\n" + hostPathVolume("v", missing, "Directory"),
                    container("c", "sleep 3600", mount("v", "/v"))));
            kubelet.writeManifest("not-a-blockdev.yaml", podYaml("not-a-blockdev",
                    "  volumes:\n" + hostPathVolume("v", Path.of("/dev/null"), "BlockDevice"),
                    container("c", "sleep 3600", mount("v", "/v"))));

            Pod good = awaitRunning("good");
            String c = dockerId(good, "c");
            // DirectoryOrCreate: made with 0755, and the container sees what the host writes into it
            assertTrue(Files.isDirectory(dirOrCreate), dirOrCreate.toString());
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dirOrCreate)));
            Files.writeString(dirOrCreate.resolve("from-host"), "hello from the host");
            assertEquals("hello from the host", PodDocker.sh(c, "cat /doc/from-host"));
            // FileOrCreate: an empty regular file, the same one the container writes
            assertTrue(Files.isRegularFile(fileOrCreate), fileOrCreate + " not created as a file");
            PodDocker.sh(c, "test -f /foc && echo from-container > /foc");
            assertEquals("from-container\n", Files.readString(fileOrCreate, StandardCharsets.UTF_8));
            // CharDevice and Socket: the real things
            assertEquals("c", PodDocker.sh(c, "test -c /devnull && echo c"));
            assertEquals("s", PodDocker.sh(c, "test -S /sock && echo s"));

            Pod f = awaitFailedMount("not-a-file", "hostPath type check failed: " + existingDir + " is not a file", SHORT);
            awaitFailedMount("not-a-dir", "hostPath type check failed: " + missing + " is not a directory", SHORT);
            Pod b = awaitFailedMount("not-a-blockdev", "hostPath type check failed: /dev/null is not a block device", SHORT);
            assertTrue(f.getStatus().getMessage().contains("MountVolume.SetUp failed for volume \"v\""),
                    f.getStatus().getMessage());
            assertFalse(Files.exists(missing), "type Directory must not create " + missing);

            // a few syncs later: still refused, nothing started for them, the good pod untouched
            Thread.sleep(3_000);
            for (String name : List.of("not-a-file", "not-a-dir", "not-a-blockdev")) {
                Pod bad = kubelet.pod(name).orElseThrow(() -> new AssertionError(name + " not listed"));
                assertTrue(failedMount(bad, "hostPath type check failed: "), name + ": " + kubelet.toJson(bad.getStatus()));
                assertTrue(PodDocker.all(uid(bad)).isEmpty(), name + " has Docker containers: "
                        + describe(PodDocker.all(uid(bad))));
            }
            assertTrue(b.getStatus().getContainerStatuses() == null || b.getStatus().getContainerStatuses().stream()
                    .noneMatch(s -> s.getState() != null && s.getState().getRunning() != null), "nothing runs");
            assertFalse(Files.exists(missing), "type Directory must not create " + missing);
            assertTrue(Files.isDirectory(existingDir), "the refused File volume's directory is untouched");
            Pod good2 = awaitRunning("good");
            assertEquals(dockerId(good, "c"), dockerId(good2, "c"), "the good pod's container was replaced");
            assertEquals(0, status(good2, "c").getRestartCount());
            assertEquals("ok", PodDocker.sh(c, "cat /doc/from-host >/dev/null && echo ok"));
        }
    }

    @Test
    void hostToContainerPropagationShowsAHostMountMadeLater() throws Exception {
        kubelet.writeManifest("prop.yaml", podYaml("prop", "  volumes:\n  - name: prop\n    emptyDir: {}\n",
                container("slave", "sleep 3600", mount("prop", "/prop", "mountPropagation: HostToContainer")),
                container("private", "sleep 3600", mount("prop", "/prop"))));
        Pod p = awaitRunning("prop");
        Path inner = Files.createDirectory(volumeDir(p, "empty-dir", "prop").resolve("inner"));

        mountHostTmpfs(inner, "size=1m,mode=0755");
        Files.writeString(inner.resolve("hello"), "from a host tmpfs");
        assertEquals("tmpfs", mountsAt(inner).get(0).fsType(), describeMounts(mountsAt(inner)));

        awaitOutput(p, "slave", "cat /prop/inner/hello", "from a host tmpfs", SHORT);
        String seen = PodDocker.sh(dockerId(p, "slave"), "grep ' /prop/inner ' /proc/self/mountinfo");
        assertTrue(seen.contains(" tmpfs "), "the slave's mount table: " + seen);
        // control: without propagation the same volume shows the directory, not the host's later mount
        assertEquals("", PodDocker.sh(dockerId(p, "private"), "ls -A /prop/inner"),
                "a private (None) volumeMount saw a mount made on the host after the container started");

        // the unmount propagates too
        unmountHostTmpfs(inner);
        awaitOutput(p, "slave", "test -e /prop/inner/hello && echo present || echo gone", "gone", SHORT);
    }

    @Test
    void deletedPodLeavesNoMountAndNoDirectory() throws Exception {
        Path host = tempDir("skiff-hostpath-");
        Files.createDirectory(host.resolve("kept"));
        Files.writeString(host.resolve("kept/file"), "the host's own");
        kubelet.writeManifest("del.yaml", podYaml("del", "  volumes:\n"
                        + "  - name: scratch\n    emptyDir: {}\n"
                        + "  - name: mem\n    emptyDir:\n      medium: Memory\n      sizeLimit: 4Mi\n"
                        + hostPathVolume("host", host, "Directory"),
                container("c", "echo x > /mem/f && sleep 3600", mount("scratch", "/scratch"), mount("mem", "/mem"),
                        mount("scratch", "/sub", "subPath: part"), mount("host", "/host", "subPath: kept"))));
        Pod p = awaitRunning("del");
        assertEquals("the host's own", PodDocker.sh(dockerId(p, "c"), "cat /host/file"));
        Path podDir = podDir(p);
        List<MountInfo> before = mountsUnder(podDir);
        assertTrue(before.stream().anyMatch(m -> m.mountPoint().equals(tableKey(volumeDir(p, "empty-dir", "mem")))),
                "the Memory emptyDir is mounted: " + describeMounts(before));
        assertTrue(before.stream().anyMatch(m -> m.mountPoint().contains("/volume-subpaths/scratch/c/")),
                "the subPath is bound: " + describeMounts(before));
        assertTrue(Files.isDirectory(volumeDir(p, "empty-dir", "scratch").resolve("part")));

        kubelet.deleteManifest("del.yaml");
        kubelet.awaitPodGone("del", Duration.ofSeconds(45));
        awaitNoContainers(uid(p), Duration.ofSeconds(30));
        awaitTrue("no mount under " + podDir + " and the dir removed", Duration.ofSeconds(30),
                () -> mountsUnder(podDir).isEmpty() && !Files.exists(podDir),
                () -> describeMounts(mountsUnder(podDir)) + " exists=" + Files.exists(podDir));
        // a hostPath is the host's: its teardown unbinds the subPath and leaves the content alone
        assertEquals("the host's own", Files.readString(host.resolve("kept/file"), StandardCharsets.UTF_8));
    }

    static String hostPathVolume(String name, Path path, String type) {
        return "  - name: " + name + "\n    hostPath:\n      path: " + path + "\n      type: " + type + "\n";
    }
}
