package dev.skiff.cri.stats;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds containers' cgroups by walking the hierarchy, as cAdvisor's container factories recognise them: a
 * directory named by a 64-hex container id, bare ({@code /docker/<id>}, {@code /kubepods/.../<id>} with the
 * cgroupfs driver) or as a systemd scope ({@code docker-<id>.scope}, {@code cri-containerd-<id>.scope},
 * {@code crio-<id>.scope}). A container's own nested cgroups are not walked.
 */
final class ContainerCgroupIndex {
    private static final Pattern CONTAINER_DIR =
            Pattern.compile("^(?:(?:docker|cri-containerd|crio|libpod)-)?([0-9a-f]{64})(?:\\.scope)?$");
    private static final int MAX_DEPTH = 10;

    private ContainerCgroupIndex() {}

    /** Container id → cgroup path ("/docker/<id>"), for every container cgroup under the layout's index root. */
    static Map<String, String> scan(CgroupLayout layout) throws IOException {
        Map<String, String> out = new HashMap<>();
        Optional<Path> root = layout.indexRoot();
        if (root.isPresent() && Files.isDirectory(root.get())) {
            walk(root.get(), "", 0, out);
        }
        return out;
    }

    /** The container id a cgroup directory name carries, if any. */
    static Optional<String> containerId(String dirName) {
        Matcher m = CONTAINER_DIR.matcher(dirName);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static void walk(Path dir, String path, int depth, Map<String, String> out) throws IOException {
        if (depth > MAX_DEPTH) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, e -> mayBeCgroup(e.getFileName().toString()))) {
            for (Path entry : entries) {
                if (!Files.isDirectory(entry)) {
                    continue;
                }
                String name = entry.getFileName().toString();
                String childPath = path + "/" + name;
                Optional<String> id = containerId(name);
                if (id.isPresent()) {
                    out.put(id.get(), childPath);
                } else {
                    walk(entry, childPath, depth + 1, out);
                }
            }
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            // removed while walking
        }
    }

    /** Skips the controllers' files by name so the walk stats only directories (a cgroup holds dozens of files). */
    private static boolean mayBeCgroup(String name) {
        int dot = name.indexOf('.');
        if (dot > 0) {
            String prefix = name.substring(0, dot);
            return !switch (prefix) {
                case "cgroup", "memory", "cpu", "cpuacct", "cpuset", "blkio", "io", "pids", "hugetlb", "rdma", "misc",
                     "net_cls", "net_prio", "devices", "freezer", "perf_event" -> true;
                default -> false;
            };
        }
        return !switch (name) {
            case "tasks", "notify_on_release", "release_agent" -> true;
            default -> false;
        };
    }
}
