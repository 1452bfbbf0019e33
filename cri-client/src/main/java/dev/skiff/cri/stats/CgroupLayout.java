package dev.skiff.cri.stats;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a cgroup's files are: the v2 unified hierarchy (one tree, {@code cgroup.controllers} at its root) or v1
 * (a mount per controller, possibly joint, like {@code cpu,cpuacct}; this machine's cgroupfs layout).
 */
public final class CgroupLayout {
    private final Path root;
    private final boolean unified;
    private final Map<String, Path> v1Mounts;

    private CgroupLayout(Path root, boolean unified, Map<String, Path> v1Mounts) {
        this.root = root;
        this.unified = unified;
        this.v1Mounts = v1Mounts;
    }

    /** Looks at {@code root} (normally {@code /sys/fs/cgroup}) once. */
    public static CgroupLayout detect(Path root) {
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return new CgroupLayout(root, true, Map.of());
        }
        Map<String, Path> mounts = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                for (String controller : dir.getFileName().toString().split(",")) {
                    // a single-controller name wins over a joint one ("cpuacct" over "cpu,cpuacct"): both are the same tree
                    if (!mounts.containsKey(controller) || !dir.getFileName().toString().contains(",")) {
                        mounts.put(controller, dir);
                    }
                }
            }
        } catch (IOException e) {
            // no cgroup filesystem: every read is empty
        }
        return new CgroupLayout(root, false, Map.copyOf(mounts));
    }

    public boolean unified() {
        return unified;
    }

    /** The directory of cgroup {@code path} ("/docker/abc") for a controller (ignored on v2). */
    Optional<Path> dir(String controller, String path) {
        Path base = unified ? root : v1Mounts.get(controller);
        if (base == null) {
            return Optional.empty();
        }
        return Optional.of(base.resolve(relative(path)));
    }

    /** The tree walked to find containers: v2's root, v1's memory (else cpuacct) mount. */
    Optional<Path> indexRoot() {
        if (unified) {
            return Optional.of(root);
        }
        return Optional.ofNullable(v1Mounts.getOrDefault("memory", v1Mounts.get("cpuacct")));
    }

    /** The controller whose line in {@code /proc/<pid>/cgroup} names a process's cgroup path. */
    String membershipController() {
        return unified ? "" : v1Mounts.containsKey("memory") ? "memory" : "cpuacct";
    }

    static String relative(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.contains("..")) {
            throw new IllegalArgumentException("cgroup path " + path + " leaves the hierarchy");
        }
        return p;
    }
}
