package dev.skiff.volume.plugin;

import com.sun.jna.LastErrorException;
import dev.skiff.volume.mount.LibC;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.Set;

/**
 * A pod's {@code securityContext.fsGroup} applied to a volume, as upstream's SetVolumeOwnership: every file and
 * directory gets the group, files gain group read (read-only volumes) or read-write, directories also group search and
 * the setgid bit so new files inherit the group. Symlinks get the group but never a chmod (that would go through to
 * their target). Never follows a symlink, never crosses into another filesystem.
 */
public final class VolumeOwnership {
    private static final Logger log = LoggerFactory.getLogger(VolumeOwnership.class);
    private static final int RW_MASK = 0660;
    private static final int RO_MASK = 0440;
    private static final int EXEC_MASK = 0110;
    private static final int SETGID = 02000;

    private VolumeOwnership() {
    }

    /** The pod's fsGroup, when it sets one. */
    public static Optional<Long> fsGroup(Pod pod) {
        var sc = pod.getSpec() == null ? null : pod.getSpec().getSecurityContext();
        return sc == null || sc.getFsGroup() == null ? Optional.empty() : Optional.of(sc.getFsGroup());
    }

    /** Applies {@code fsGroup} to {@code dir} and everything below it. */
    public static void apply(Path dir, long fsGroup, boolean readOnly) throws IOException {
        Object rootDev = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(dir, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS).equals(rootDev)) {
                    return FileVisitResult.SKIP_SUBTREE; // a mount inside the volume is not ours to change
                }
                change(d, fsGroup, readOnly);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                change(f, fsGroup, readOnly);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Applies {@code fsGroup} to {@code dir} itself and the entries directly in it (not below). */
    public static void applyShallow(Path dir, long fsGroup, boolean readOnly) throws IOException {
        change(dir, fsGroup, readOnly);
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (Files.isSymbolicLink(p)) {
                    change(p, fsGroup, readOnly);
                }
            }
        }
    }

    private static void change(Path p, long fsGroup, boolean readOnly) throws IOException {
        Files.setAttribute(p, "unix:gid", (int) fsGroup, LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(p)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        int mask = readOnly ? RO_MASK : RW_MASK;
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            mask |= SETGID | EXEC_MASK;
        }
        if ((mode | mask) != mode) {
            try {
                LibC.get().chmod(p.toString(), mode | mask);
            } catch (LastErrorException e) {
                log.warn("cannot chmod {} for fsGroup {}: {}", p, fsGroup, LibC.describe(e.getErrorCode()));
                throw new IOException("chmod " + p + ": " + LibC.describe(e.getErrorCode()), e);
            }
        }
    }
}
