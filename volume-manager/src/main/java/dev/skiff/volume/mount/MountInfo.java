package dev.skiff.volume.mount;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One line of {@code /proc/self/mountinfo} (proc(5)), with the octal escapes ({@code \040} …) decoded.
 *
 * @param mountId        unique id of the mount (may be reused after an unmount)
 * @param parentId       id of the parent mount
 * @param major          st_dev major of files on this mount
 * @param minor          st_dev minor
 * @param root           the directory of the filesystem that forms this mount's root (not "/" for a bind)
 * @param mountPoint     where it is mounted, relative to the process's root
 * @param mountOptions   per-mount options, e.g. {@code rw,nosuid,relatime}
 * @param optionalFields zero or more tags, e.g. {@code shared:5}, {@code master:2}, {@code propagate_from:1}
 * @param fsType         e.g. {@code tmpfs}, {@code ext4}, {@code fuse.sshfs}
 * @param source         filesystem-specific source, e.g. {@code /dev/vda}, {@code tmpfs}, {@code none}
 * @param superOptions   per-superblock options, e.g. {@code rw,size=1024k}
 */
public record MountInfo(int mountId, int parentId, int major, int minor, String root, String mountPoint,
                        String mountOptions, List<String> optionalFields, String fsType, String source,
                        String superOptions) {
    public MountInfo {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(mountOptions, "mountOptions");
        optionalFields = List.copyOf(optionalFields);
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(superOptions, "superOptions");
    }

    public Path path() {
        return Path.of(mountPoint);
    }

    public List<String> mountOptionList() {
        return mountOptions.isEmpty() ? List.of() : Arrays.asList(mountOptions.split(","));
    }

    public boolean readOnly() {
        return mountOptionList().contains("ro");
    }

    /** The peer group this mount shares propagation with, when it is shared. */
    public OptionalInt sharedPeerGroup() {
        return tagValue("shared:");
    }

    /** The peer group this mount receives propagation from, when it is a slave. */
    public OptionalInt masterPeerGroup() {
        return tagValue("master:");
    }

    public boolean isShared() {
        return sharedPeerGroup().isPresent();
    }

    private OptionalInt tagValue(String prefix) {
        for (String f : optionalFields) {
            if (f.startsWith(prefix)) {
                try {
                    return OptionalInt.of(Integer.parseInt(f.substring(prefix.length())));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}
