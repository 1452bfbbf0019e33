package dev.skiff.kubelet.it;

import dev.skiff.cri.testing.TestDocker;
import dev.skiff.volume.mount.LinuxMounter;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The root dir's filesystem runs full under a running kubelet (a small tmpfs mounted at {@code --root-dir} before
 * Skiff starts, then filled): the operation that fails is reported on its pod, the pods already running are not
 * disturbed, no state file is left half-written, and the pod starts once there is room again.
 */
class DiskFullIT extends VolumeItSupport {
    private static final String ROOT_FS_SIZE = "size=8m";
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(150);

    private Path filler;

    @BeforeEach
    @Override
    void startKubelet() throws Exception {
        ns = TestDocker.newNamespace("it");
        kubelet = new SkiffKubelet(kubeletArgs());
        // cleanup unmounts everything under the kubelet's work dir, this tmpfs included, deepest first
        new LinuxMounter().mount("tmpfs", kubelet.rootDir(), "tmpfs", 0, ROOT_FS_SIZE + ",mode=0750");
        kubelet.start();
    }

    @Test
    void aFullRootDirFailsTheMountOnThePodAndNothingElse() throws Exception {
        kubelet.writeManifest("before.yaml", podYaml("before", "", container("c", "sleep 3600")));
        Pod before = awaitRunning("before");
        String beforeId = dockerId(before, "c");

        filler = fill(kubelet.rootDir());

        kubelet.writeManifest("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns
                + "\ndata:\n  greeting: \"" + "hello ".repeat(2000) + "\"\n");
        kubelet.writeManifest("after.yaml", podYaml("after", """
                  volumes:
                  - name: cfg
                    configMap:
                      name: settings
                """, container("c", "sleep 3600", mount("cfg", "/cfg"))));
        Pod failed = awaitFailedMount("after", "no space left on device", Duration.ofSeconds(60));
        assertTrue(failed.getStatus().getMessage().contains("cfg"), "the message names the volume: " + failed.getStatus());

        // the rest of the node carries on
        Pod stillRunning = kubelet.pod("before").orElseThrow();
        assertTrue(allRunning(stillRunning), "the running pod is undisturbed: " + stillRunning.getStatus());
        assertEquals(beforeId, dockerId(stillRunning, "c"), "and not restarted");
        assertTrue(kubelet.process().isAlive(), "the kubelet keeps running");
        assertEquals(List.of(), halfWritten(kubelet.rootDir()), "no temp file or half-made payload dir is left behind");

        Files.delete(filler);
        Pod recovered = kubelet.awaitPod("after", KubeletItSupport::allRunning, RECOVERY_TIMEOUT,
                "Running once the root dir has room again");
        assertEquals("hello hello", PodDocker.sh(dockerId(recovered, "c"), "cut -c1-11 /cfg/greeting"));
        assertEquals(List.of(), halfWritten(kubelet.rootDir()));
    }

    /** Writes zeros until the filesystem refuses more; returns the file. */
    private static Path fill(Path dir) throws IOException {
        Path f = dir.resolve("filler");
        ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (true) {
                zeros.clear();
                ch.write(zeros);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
        return f;
    }

    /** Temp files of a durable replace and timestamped dirs of an atomic write that never got their rename. */
    private static List<Path> halfWritten(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".tmp") || (n.startsWith("..") && !n.equals("..data")
                        && !isTarget(p));
            }).toList();
        }
    }

    /** The payload dir {@code ..data} points at is the live one, not a leftover. */
    private static boolean isTarget(Path p) {
        try {
            Path data = p.getParent().resolve("..data");
            return Files.isSymbolicLink(data) && Files.readSymbolicLink(data).toString().equals(p.getFileName().toString());
        } catch (IOException e) {
            return false;
        }
    }
}
