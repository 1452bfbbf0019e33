package dev.skiff.volume.mount;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** {@link Mounter} on Linux: mount(2) and umount2(2) through JNA, the mount table from mountinfo. */
public final class LinuxMounter implements Mounter {
    private static final Logger log = LoggerFactory.getLogger(LinuxMounter.class);

    /** Per-mount flags a read-only remount must carry over, or the remount would silently drop them. */
    private static final List<FlagOption> KEPT_ON_REMOUNT = List.of(
            new FlagOption("nosuid", LibC.MS_NOSUID), new FlagOption("nodev", LibC.MS_NODEV),
            new FlagOption("noexec", LibC.MS_NOEXEC), new FlagOption("noatime", LibC.MS_NOATIME),
            new FlagOption("nodiratime", LibC.MS_NODIRATIME), new FlagOption("relatime", LibC.MS_RELATIME),
            new FlagOption("strictatime", LibC.MS_STRICTATIME));

    private final Path mountInfo;

    public LinuxMounter() {
        this(Path.of("/proc/self/mountinfo"));
    }

    /** @param mountInfo the mount table to read (tests point this at a fixture) */
    public LinuxMounter(Path mountInfo) {
        this.mountInfo = mountInfo;
    }

    @Override
    public void mount(String source, Path target, String fsType, long flags, String data) throws MountException {
        String what = fsType != null && !fsType.isEmpty() ? fsType : source;
        try {
            LibC.get().mount(source, target.toString(), fsType, new NativeLong(flags), data);
        } catch (LastErrorException e) {
            throw new MountException("mount " + what + " on " + target + ": " + LibC.describe(e.getErrorCode()), e);
        }
        log.debug("mounted {} on {} (flags {}, fsType {})", what, target, Long.toHexString(flags), fsType);
    }

    @Override
    public void bind(Path source, Path target, boolean readOnly) throws MountException {
        try {
            LibC.get().mount(source.toString(), target.toString(), null, new NativeLong(LibC.MS_BIND), null);
        } catch (LastErrorException e) {
            throw new MountException("bind mount " + source + " on " + target + ": "
                    + LibC.describe(e.getErrorCode()), e);
        }
        if (readOnly) {
            // MS_BIND ignores MS_RDONLY; read-only needs a remount of the new bind alone.
            long flags = LibC.MS_REMOUNT | LibC.MS_BIND | LibC.MS_RDONLY | keptFlags(target);
            try {
                LibC.get().mount(null, target.toString(), null, new NativeLong(flags), null);
            } catch (LastErrorException e) {
                String why = LibC.describe(e.getErrorCode());
                undoBind(target);
                throw new MountException("remount read-only " + target + ": " + why, e);
            }
        }
        log.debug("bound {} on {}{}", source, target, readOnly ? " read-only" : "");
    }

    @Override
    public boolean unmount(Path target) throws MountException {
        if (!isMountPoint(target)) {
            return false;
        }
        try {
            LibC.get().umount2(target.toString(), LibC.UMOUNT_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new MountException("unmount " + target + ": " + LibC.describe(e.getErrorCode()), e);
        }
        log.debug("unmounted {}", target);
        return true;
    }

    @Override
    public boolean isMountPoint(Path path) throws MountException {
        Optional<String> key = tableKey(path);
        if (key.isEmpty()) {
            return false;
        }
        for (MountInfo m : table()) {
            if (m.mountPoint().equals(key.get())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<Path> mountPointsUnder(Path dir) throws MountException {
        Optional<String> key = tableKey(dir);
        if (key.isEmpty()) {
            return List.of();
        }
        return mountPointsUnder(table(), Path.of(key.get()));
    }

    @Override
    public void makeRShared(Path dir) throws MountException {
        Optional<MountInfo> top = topMount(dir);
        if (top.isPresent() && top.get().isShared()) {
            return;
        }
        if (top.isEmpty()) {
            // Recursive, so mounts already below dir stay visible through the new one.
            try {
                LibC.get().mount(dir.toString(), dir.toString(), null,
                        new NativeLong(LibC.MS_BIND | LibC.MS_REC), null);
            } catch (LastErrorException e) {
                throw new MountException("bind mount " + dir + " on itself: " + LibC.describe(e.getErrorCode()), e);
            }
        }
        try {
            LibC.get().mount(null, dir.toString(), null, new NativeLong(LibC.MS_SHARED | LibC.MS_REC), null);
        } catch (LastErrorException e) {
            throw new MountException("make rshared " + dir + ": " + LibC.describe(e.getErrorCode()), e);
        }
        log.info("made {} a recursively shared mount", dir);
    }

    /**
     * The mounts at or below {@code dir} (already in the table's form), deepest first; a point with stacked mounts
     * appears once per mount, the last mounted first, so unmounting each entry once in order leaves none.
     */
    static List<Path> mountPointsUnder(List<MountInfo> table, Path dir) {
        record Entry(Path path, int order) {
        }
        List<Entry> under = new ArrayList<>();
        for (int i = 0; i < table.size(); i++) {
            Path p = table.get(i).path();
            if (p.startsWith(dir)) {
                under.add(new Entry(p, i));
            }
        }
        under.sort(Comparator.comparingInt((Entry e) -> e.path().getNameCount()).reversed()
                .thenComparing(Comparator.comparingInt(Entry::order).reversed()));
        return under.stream().map(Entry::path).toList();
    }

    /** The newest mount at {@code path}, if {@code path} is a mount point. */
    Optional<MountInfo> topMount(Path path) throws MountException {
        Optional<String> key = tableKey(path);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        MountInfo top = null;
        for (MountInfo m : table()) {
            if (m.mountPoint().equals(key.get())) {
                top = m;
            }
        }
        return Optional.ofNullable(top);
    }

    List<MountInfo> table() throws MountException {
        return MountInfoParser.read(mountInfo);
    }

    /**
     * {@code path} as the mount table spells it: absolute, normalized, its parent's symlinks resolved, its last
     * component kept as is. Empty when it does not exist or is itself a symlink (never a mount point).
     */
    static Optional<String> tableKey(Path path) throws MountException {
        Path abs = path.toAbsolutePath().normalize();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(abs)) {
            return Optional.empty();
        }
        Path parent = abs.getParent();
        if (parent == null) {
            return Optional.of(abs.toString());
        }
        try {
            return Optional.of(parent.toRealPath().resolve(abs.getFileName()).toString());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new MountException("resolve " + parent + ": " + e.getMessage(), e);
        }
    }

    private long keptFlags(Path target) {
        try {
            Optional<MountInfo> top = topMount(target);
            if (top.isEmpty()) {
                return 0;
            }
            List<String> opts = top.get().mountOptionList();
            long flags = 0;
            for (FlagOption f : KEPT_ON_REMOUNT) {
                if (opts.contains(f.option())) {
                    flags |= f.flag();
                }
            }
            return flags;
        } catch (MountException e) {
            log.warn("cannot read the options of the bind at {}; remounting read-only without them: {}",
                    target, e.getMessage());
            return 0;
        }
    }

    private void undoBind(Path target) {
        try {
            LibC.get().umount2(target.toString(), LibC.UMOUNT_NOFOLLOW);
        } catch (LastErrorException e) {
            log.warn("cannot undo the bind at {} after a failed read-only remount: {}", target,
                    LibC.describe(e.getErrorCode()));
        }
    }

    private record FlagOption(String option, long flag) {
    }
}
