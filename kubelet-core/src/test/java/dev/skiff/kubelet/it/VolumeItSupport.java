package dev.skiff.kubelet.it;

import com.sun.jna.LastErrorException;
import dev.skiff.volume.mount.LibC;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.MountInfoParser;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Shared pieces of the kubelet volume ITs: containers with volumeMounts, the pod's volume paths, the host's mount
 * table, waits on FailedMount and container-waiting states, and cleanup of what a test mounts or creates on the host
 * itself (host-side mounts first, then the kubelet and its containers, then the test's own temp dirs).
 */
abstract class VolumeItSupport extends KubeletItSupport {
    static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** Mounts the test made on the host (not the kubelet's), undone newest first. */
    private final List<Path> hostMounts = new ArrayList<>();
    /** Temp dirs the test owns (hostPath sources), deleted after the kubelet and its containers are gone. */
    private final List<Path> tempDirs = new ArrayList<>();

    /** One volumeMount; {@code extra} holds further {@code key: value} lines of it, e.g. {@code subPath: sub}. */
    record Mount(String volume, String mountPath, String... extra) {
    }

    static Mount mount(String volume, String mountPath, String... extra) {
        return new Mount(volume, mountPath, extra);
    }

    /** {@link #container(String, String)} with volumeMounts. */
    String container(String name, String script, Mount... mounts) {
        return container(name, script) + volumeMountsYaml(mounts);
    }

    static String volumeMountsYaml(Mount... mounts) {
        if (mounts.length == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("    volumeMounts:\n");
        for (Mount m : mounts) {
            b.append("    - name: ").append(m.volume()).append('\n')
                    .append("      mountPath: ").append(m.mountPath()).append('\n');
            for (String line : m.extra()) {
                b.append("      ").append(line).append('\n');
            }
        }
        return b.toString();
    }

    // ---- cleanup ----

    @AfterEach
    @Override
    void cleanUp() throws Exception {
        try {
            List<Path> mine = new ArrayList<>(hostMounts);
            Collections.reverse(mine);
            for (Path m : mine) {
                unmountForCleanup(m);
            }
        } finally {
            try {
                super.cleanUp();
            } finally {
                for (Path d : tempDirs) {
                    deleteTempDir(d);
                }
            }
        }
    }

    private static void unmountForCleanup(Path m) {
        LinuxMounter mounter = new LinuxMounter();
        try {
            while (mounter.isMountPoint(m)) {
                mounter.unmount(m);
            }
        } catch (IOException e) {
            try {
                LibC.get().umount2(m.toString(), LibC.UMOUNT_NOFOLLOW | LibC.MNT_DETACH);
            } catch (LastErrorException ignored) {
                System.err.println("cannot unmount " + m + ": " + e.getMessage());
            }
        }
    }

    private static void deleteTempDir(Path d) {
        SkiffKubelet.unmountAllUnder(d);
        try (Stream<Path> walk = Files.walk(d)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("cannot delete " + p + ": " + e);
                }
            });
        } catch (IOException | RuntimeException e) {
            System.err.println("cannot delete " + d + ": " + e);
        }
    }

    /** A fresh temp dir this test owns; removed (after the kubelet) when the test ends. */
    Path tempDir(String prefix) throws IOException {
        Path d = Files.createTempDirectory(prefix).toRealPath();
        tempDirs.add(d);
        return d;
    }

    /** A tmpfs the test mounts on the host at {@code dir}; unmounted in cleanup even when the test fails. */
    void mountHostTmpfs(Path dir, String data) throws IOException {
        new LinuxMounter().mount("tmpfs", dir, "tmpfs", 0, data);
        hostMounts.add(dir);
    }

    /** Unmounts a tmpfs of {@link #mountHostTmpfs} now. */
    void unmountHostTmpfs(Path dir) throws IOException {
        new LinuxMounter().unmount(dir);
        hostMounts.remove(dir);
    }

    // ---- paths and the mount table ----

    Path podDir(Pod p) {
        return kubelet.rootDir().resolve("pods").resolve(uid(p));
    }

    /** {@code <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>}, the upstream layout. */
    Path volumeDir(Pod p, String plugin, String name) {
        return podDir(p).resolve("volumes").resolve("kubernetes.io~" + plugin).resolve(name);
    }

    static List<MountInfo> mountTable() {
        try {
            return MountInfoParser.read(MOUNTINFO);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + MOUNTINFO + ": " + e, e);
        }
    }

    /** The path as the mount table spells it: the longest existing prefix resolved, the rest appended. */
    static String tableKey(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs.toString();
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).toString();
        } catch (IOException e) {
            return abs.toString();
        }
    }

    /** Mount table entries whose mount point is exactly {@code p}, oldest first. */
    static List<MountInfo> mountsAt(Path p) {
        String key = tableKey(p);
        return mountTable().stream().filter(m -> m.mountPoint().equals(key)).toList();
    }

    /** Mount table entries at or below {@code dir}. */
    static List<MountInfo> mountsUnder(Path dir) {
        String key = tableKey(dir);
        return mountTable().stream()
                .filter(m -> m.mountPoint().equals(key) || m.mountPoint().startsWith(key + "/")).toList();
    }

    static String describeMounts(List<MountInfo> ms) {
        StringBuilder b = new StringBuilder("[");
        for (MountInfo m : ms) {
            b.append("\n  ").append(m.mountId()).append(' ').append(m.mountPoint()).append(' ').append(m.fsType())
                    .append(" root=").append(m.root()).append(' ').append(m.superOptions());
        }
        return b.append(ms.isEmpty() ? "]" : "\n]").toString();
    }

    // ---- pod and container states ----

    /** Pending with reason FailedMount and a message containing {@code messagePart}. */
    Pod awaitFailedMount(String manifestName, String messagePart, Duration timeout) throws InterruptedException {
        return kubelet.awaitPod(manifestName, p -> failedMount(p, messagePart), timeout,
                "Pending with FailedMount \"" + messagePart + "\"");
    }

    static boolean failedMount(Pod p, String messagePart) {
        return phase(p, "Pending") && "FailedMount".equals(p.getStatus().getReason())
                && p.getStatus().getMessage() != null && p.getStatus().getMessage().contains(messagePart);
    }

    static boolean running(Pod p, String container) {
        ContainerStatus s = statusOrNull(p, container);
        return s != null && s.getState() != null && s.getState().getRunning() != null && s.getContainerID() != null;
    }

    static boolean waiting(Pod p, String container, String reason, String messagePart) {
        ContainerStatus s = statusOrNull(p, container);
        return s != null && s.getState() != null && s.getState().getWaiting() != null
                && reason.equals(s.getState().getWaiting().getReason())
                && s.getState().getWaiting().getMessage() != null
                && s.getState().getWaiting().getMessage().contains(messagePart);
    }

    static ContainerStatus statusOrNull(Pod p, String container) {
        if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
            return null;
        }
        return p.getStatus().getContainerStatuses().stream().filter(s -> container.equals(s.getName())).findFirst()
                .orElse(null);
    }

    /** Runs {@code sh -c script} in the pod's container. */
    static PodDocker.ExecResult exec(Pod p, String container, String script) throws InterruptedException {
        return PodDocker.exec(dockerId(p, container), Duration.ofSeconds(20), "sh", "-c", script);
    }

    /** Polls {@code sh -c script} in the container until its trimmed output is {@code want}. */
    void awaitOutput(Pod p, String container, String script, String want, Duration timeout) throws InterruptedException {
        String[] last = {""};
        awaitTrue(container + ": `" + script + "` prints \"" + want + "\"", timeout, () -> {
            try {
                PodDocker.ExecResult r = exec(p, container, script);
                last[0] = "exit " + r.exitCode() + " stdout " + r.stdout() + " stderr " + r.stderr();
                return r.exitCode() == 0 && want.equals(r.stdout().trim());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, () -> last[0]);
    }
}
