package dev.skiff.volume.mount;

import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's mount calls, made directly (mount(2), umount2(2)) rather than through a {@code mount} process, and
 * the mount table read from {@code /proc/self/mountinfo}.
 */
public interface Mounter {
    /** mount(2): e.g. {@code mount("tmpfs", dir, "tmpfs", 0, "size=67108864")}. {@code flags} are MS_* bits. */
    void mount(String source, Path target, String fsType, long flags, String data) throws MountException;

    /** A bind mount of {@code source} at {@code target} (MS_BIND, then a read-only remount when asked). */
    void bind(Path source, Path target, boolean readOnly) throws MountException;

    /**
     * umount2(target, UMOUNT_NOFOLLOW): a symlink at {@code target} is never followed. Returns false, doing
     * nothing, when {@code target} is not a mount point.
     */
    boolean unmount(Path target) throws MountException;

    /** True when {@code path} (not resolved through a final symlink) is a mount point in the mount table. */
    boolean isMountPoint(Path path) throws MountException;

    /** The mount points at or below {@code dir}, deepest first (the order to unmount them in). */
    List<Path> mountPointsUnder(Path dir) throws MountException;

    /** Makes {@code dir} a mount point (a bind onto itself) when it is not one, then marks it recursively shared. */
    void makeRShared(Path dir) throws MountException;
}
