package dev.skiff.kubelet;

import dev.skiff.volume.util.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes a pod's directory under the root dir, but never while anything is mounted beneath it (upstream's
 * cleanupOrphanedPodDirs refuses too: deleting through a mount would delete the volume's data).
 */
final class PodDirs {
    private static final Logger log = LoggerFactory.getLogger(PodDirs.class);
    private final Path mountInfo;

    PodDirs(Path mountInfo) {
        this.mountInfo = mountInfo;
    }

    PodDirs() {
        this(Path.of("/proc/self/mountinfo"));
    }

    /** Deletes {@code dir} recursively unless a mount point lies in it; true when it is gone. */
    boolean removeIfUnmounted(Path dir, String podRef) {
        if (!Files.exists(dir)) {
            return true;
        }
        List<String> mounts = mountsUnder(dir);
        if (!mounts.isEmpty()) {
            log.warn("pod {}: keeping {}: still mounted there: {}", podRef, dir, mounts);
            return false;
        }
        try {
            // never through a mount that appeared since the check, nor along a symlink
            FileTrees.deleteOnOneFilesystem(dir);
            log.info("pod {}: removed {}", podRef, dir);
            return true;
        } catch (IOException e) {
            log.warn("pod {}: cannot remove {}: {}", podRef, dir, e.toString());
            return false;
        }
    }

    /** Mount points at or below {@code dir}, from mountinfo's fifth field (octal escapes decoded). */
    List<String> mountsUnder(Path dir) {
        String prefix;
        try {
            prefix = dir.toRealPath().toString(); // the mount table holds real paths
        } catch (IOException e) {
            prefix = dir.toAbsolutePath().normalize().toString();
        }
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(mountInfo)) {
                String[] f = line.split(" ");
                if (f.length < 5) {
                    continue;
                }
                String point = unescape(f[4]);
                if (point.equals(prefix) || point.startsWith(prefix + "/")) {
                    out.add(point);
                }
            }
        } catch (IOException e) {
            // cannot tell: assume mounted, so nothing is deleted through a mount
            out.add("(cannot read " + mountInfo + ": " + e.getMessage() + ")");
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
