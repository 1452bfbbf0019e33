package dev.skiff.volume.subpath;

import com.sun.jna.LastErrorException;
import dev.skiff.volume.mount.LibC;
import dev.skiff.volume.mount.MountException;
import dev.skiff.volume.mount.Mounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * subPath volume mounts made safe against symlink escapes (CVE-2017-1002101, CVE-2021-25741), as upstream's
 * subpath_linux.go: the subPath is resolved and checked to stay inside its volume, then every component is opened
 * without following symlinks, and the opened file (via {@code /proc/self/fd/N}), not the path, is bind-mounted at
 * {@code <podDir>/volume-subpaths/<volume>/<container>/<index>}; the container runtime mounts that target.
 * A component swapped for a symlink after the check makes the open fail; one swapped after the open does not
 * matter, since the bind takes the file already open.
 */
public final class SafeSubPath {
    private static final Logger log = LoggerFactory.getLogger(SafeSubPath.class);

    static final String SUBPATHS_DIR = "volume-subpaths";
    /** Stacked mounts at one target are peeled one by one; more than this and something keeps mounting. */
    private static final int MAX_STACKED_MOUNTS = 16;
    private static final int OPEN_PATH = LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;

    private final Mounter mounter;
    private volatile Runnable afterCheck = () -> {
    };
    private volatile Runnable afterOpen = () -> {
    };

    public SafeSubPath(Mounter mounter) {
        this.mounter = Objects.requireNonNull(mounter, "mounter");
    }

    /** Test seam: runs after the subPath is resolved and checked, before its components are opened. */
    void setAfterCheckHook(Runnable hook) {
        this.afterCheck = hook;
    }

    /** Test seam: runs after every component is opened, before the bind mount. */
    void setAfterOpenHook(Runnable hook) {
        this.afterOpen = hook;
    }

    /**
     * Creates the subPath as a directory (with the volume directory's mode) when it does not exist, resolves it
     * inside the volume, opens it component by component and bind-mounts the opened file at the target, reusing
     * a target that already shows the same file. Returns the target.
     */
    public Path prepare(SubPathRequest r) throws SubPathException {
        String sp = r.subPath();
        List<String> segments = segments(sp);
        Path target = targetPath(r.podDir(), r.volumeName(), r.containerName(), r.index());
        Path volume = realVolume(r.volumePath(), sp);
        Path wanted = volume.resolve(String.join("/", segments));
        if (!Files.exists(wanted)) {
            safeMakeDir(volume, segments, sp);
        }
        Path evaluated = evaluate(volume, wanted, sp);
        afterCheck.run();
        int fd = safeOpen(volume, relativeSegments(volume, evaluated), sp);
        try {
            afterOpen.run();
            LibC.Stat source = fstat(fd, sp);
            boolean reused = bindFd(fd, source, target, sp);
            log.info("subPath \"{}\" of volume {} for container {} (pod uid {}) {} {}", sp, r.volumeName(),
                    r.containerName(), r.podDir().getFileName(), reused ? "already bound at" : "bound at", target);
            return target;
        } finally {
            closeQuietly(fd);
        }
    }

    /** Unmounts and removes {@code <podDir>/volume-subpaths/<volumeName>}; never deletes through a mount. */
    public void clean(Path podDir, String volumeName) throws SubPathException {
        checkName(volumeName, "volume name");
        Path dir = podDir.resolve(SUBPATHS_DIR).resolve(volumeName);
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(dir);
                return;
            }
            unmountAllUnder(dir, volumeName);
            for (Path container : list(dir)) {
                if (Files.isDirectory(container, LinkOption.NOFOLLOW_LINKS)) {
                    for (Path index : list(container)) {
                        removeTarget(index, volumeName);
                    }
                }
                Files.delete(container);
            }
            Files.delete(dir);
            log.info("removed the subPath mounts of volume {} (pod uid {})", volumeName, podDir.getFileName());
        } catch (IOException e) {
            log.warn("cannot clean the subPath mounts of volume {} at {}: {}", volumeName, dir, e.toString());
            throw new SubPathException("cannot clean the subPath mounts of volume \"" + volumeName + "\": "
                    + reason(e), e);
        }
    }

    /** {@link #clean} for every volume, then removes {@code <podDir>/volume-subpaths}. */
    public void cleanAll(Path podDir) throws SubPathException {
        Path base = podDir.resolve(SUBPATHS_DIR);
        try {
            if (!Files.exists(base, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(base);
                return;
            }
            for (Path volume : list(base)) {
                if (Files.isDirectory(volume, LinkOption.NOFOLLOW_LINKS)) {
                    clean(podDir, volume.getFileName().toString());
                } else {
                    Files.delete(volume);
                }
            }
            Files.delete(base);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", base, e.toString());
            throw new SubPathException("cannot clean the subPath mounts: " + reason(e), e);
        }
    }

    /** The bind target of one volumeMount. */
    public static Path targetPath(Path podDir, String volumeName, String containerName, int index)
            throws SubPathException {
        checkName(volumeName, "volume name");
        checkName(containerName, "container name");
        if (index < 0) {
            throw new SubPathException("volumeMount index " + index + " must not be negative");
        }
        return podDir.resolve(SUBPATHS_DIR).resolve(volumeName).resolve(containerName)
                .resolve(Integer.toString(index));
    }

    /** The subPath's components; refuses absolute paths and ".." (kubelet validation does too). */
    static List<String> segments(String subPath) throws SubPathException {
        if (subPath.isEmpty()) {
            throw new SubPathException("subPath must not be empty");
        }
        if (subPath.startsWith("/")) {
            throw new SubPathException("subPath \"" + subPath + "\" must be a relative path");
        }
        if (subPath.indexOf('\0') >= 0) {
            throw new SubPathException("subPath \"" + subPath.replace('\0', '?') + "\" must not contain NUL");
        }
        List<String> out = new ArrayList<>();
        for (String s : subPath.split("/")) {
            if (s.equals("..")) {
                throw new SubPathException("subPath \"" + subPath + "\" must not contain \"..\"");
            }
            if (!s.isEmpty() && !s.equals(".")) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new SubPathException("subPath \"" + subPath + "\" names the volume itself");
        }
        return out;
    }

    private static void checkName(String name, String what) throws SubPathException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new SubPathException("invalid " + what + " \"" + name + "\" for a subPath mount");
        }
    }

    private static Path realVolume(Path volumePath, String sp) throws SubPathException {
        try {
            Path real = volumePath.toRealPath();
            if (!Files.isDirectory(real)) {
                throw new SubPathException("subPath \"" + sp + "\": the volume is not a directory");
            }
            return real;
        } catch (IOException e) {
            log.warn("cannot resolve the volume {} of subPath \"{}\": {}", volumePath, sp, e.toString());
            throw new SubPathException("subPath \"" + sp + "\": the volume cannot be resolved: " + reason(e), e);
        }
    }

    /** The subPath with every symlink evaluated; it must still be inside the volume. */
    private static Path evaluate(Path volume, Path wanted, String sp) throws SubPathException {
        Path evaluated;
        try {
            evaluated = wanted.toRealPath();
        } catch (NoSuchFileException e) {
            throw new SubPathException("subPath \"" + sp + "\" cannot be resolved: it does not exist"
                    + " or goes through a symlink that points to nothing", e);
        } catch (IOException e) {
            throw new SubPathException("subPath \"" + sp + "\" cannot be resolved: " + reason(e), e);
        }
        if (!evaluated.startsWith(volume)) {
            throw new SubPathException("subPath \"" + sp + "\" escapes its volume");
        }
        return evaluated;
    }

    /**
     * mkdir -p of the subPath without following a symlink out of the volume: the longest existing prefix is
     * resolved and checked, opened component by component, and each missing directory made with mkdirat below
     * the fd of its parent, then given the volume's mode exactly (mkdirat's mode is narrowed by the umask).
     */
    private static void safeMakeDir(Path volume, List<String> segments, String sp) throws SubPathException {
        int existing = 0;
        Path prefix = volume;
        while (existing < segments.size()
                && Files.exists(prefix.resolve(segments.get(existing)), LinkOption.NOFOLLOW_LINKS)) {
            prefix = prefix.resolve(segments.get(existing));
            existing++;
        }
        if (existing == segments.size()) {
            // Every component is there, yet the whole does not resolve: a dangling symlink.
            throw new SubPathException("subPath \"" + sp + "\" cannot be resolved: it goes through a symlink"
                    + " that points to nothing");
        }
        Path realPrefix = evaluate(volume, prefix, sp);
        int mode;
        int parent;
        try {
            mode = LibC.stat(LibC.AT_FDCWD, volume.toString(), LibC.AT_SYMLINK_NOFOLLOW).permissions();
        } catch (LastErrorException e) {
            throw new SubPathException("subPath \"" + sp + "\": cannot read the volume's mode: "
                    + LibC.describe(e.getErrorCode()), e);
        }
        parent = safeOpen(volume, relativeSegments(volume, realPrefix), sp);
        try {
            for (String dir : segments.subList(existing, segments.size())) {
                try {
                    LibC.get().mkdirat(parent, dir, mode);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != LibC.EEXIST) {
                        throw new SubPathException("subPath \"" + sp + "\" cannot be created: "
                                + LibC.describe(e.getErrorCode()), e);
                    }
                }
                int child;
                try {
                    // O_NOFOLLOW|O_DIRECTORY: what we just made (or what raced us into place) must be a directory.
                    child = LibC.get().openat(parent, dir,
                            LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
                } catch (LastErrorException e) {
                    throw new SubPathException("subPath \"" + sp + "\": a component changed while it was being"
                            + " created", e);
                }
                closeQuietly(parent);
                parent = child;
                try {
                    LibC.get().fchmod(parent, mode);
                } catch (LastErrorException e) {
                    throw new SubPathException("subPath \"" + sp + "\": cannot set the mode of a created"
                            + " directory: " + LibC.describe(e.getErrorCode()), e);
                }
            }
        } finally {
            closeQuietly(parent);
        }
        log.info("created subPath \"{}\" with mode {}", sp, Integer.toOctalString(mode));
    }

    /**
     * Opens {@code volume} and then each of {@code segments} below the previous fd with O_PATH|O_NOFOLLOW; any
     * component that is now a symlink or gone means it changed after the check. Returns the last fd (O_PATH).
     */
    private static int safeOpen(Path volume, List<String> segments, String sp) throws SubPathException {
        int fd;
        try {
            fd = LibC.get().openat(LibC.AT_FDCWD, volume.toString(), OPEN_PATH | LibC.O_DIRECTORY, 0);
        } catch (LastErrorException e) {
            throw new SubPathException("subPath \"" + sp + "\": the volume changed while it was being opened: "
                    + LibC.describe(e.getErrorCode()), e);
        }
        for (String seg : segments) {
            int child;
            try {
                child = LibC.get().openat(fd, seg, OPEN_PATH, 0);
            } catch (LastErrorException e) {
                closeQuietly(fd);
                throw changed(sp, e);
            }
            closeQuietly(fd);
            fd = child;
            LibC.Stat st;
            try {
                st = LibC.stat(fd, "", LibC.AT_EMPTY_PATH | LibC.AT_SYMLINK_NOFOLLOW);
            } catch (LastErrorException e) {
                closeQuietly(fd);
                throw changed(sp, e);
            }
            if (st.isSymlink()) {
                closeQuietly(fd);
                throw changed(sp, null);
            }
        }
        return fd;
    }

    private static SubPathException changed(String sp, Throwable cause) {
        return new SubPathException("subPath \"" + sp + "\": a component changed while it was being opened", cause);
    }

    private static List<String> relativeSegments(Path volume, Path inside) {
        List<String> out = new ArrayList<>();
        for (Path p : volume.relativize(inside)) {
            if (!p.toString().isEmpty()) {
                out.add(p.toString());
            }
        }
        return out;
    }

    private static LibC.Stat fstat(int fd, String sp) throws SubPathException {
        try {
            return LibC.stat(fd, "", LibC.AT_EMPTY_PATH | LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw changed(sp, e);
        }
    }

    /**
     * Bind-mounts {@code /proc/self/fd/<fd>} at {@code target}: a directory target for a directory, an empty file
     * for anything else. Returns true when the target already showed this file (a container restart).
     */
    private boolean bindFd(int fd, LibC.Stat source, Path target, String sp) throws SubPathException {
        boolean created = false;
        try {
            Files.createDirectories(target.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
            if (mounter.isMountPoint(target)) {
                if (LibC.stat(LibC.AT_FDCWD, target.toString(), LibC.AT_SYMLINK_NOFOLLOW).sameFile(source)) {
                    return true;
                }
                for (int i = 0; mounter.isMountPoint(target); i++) {
                    if (i == MAX_STACKED_MOUNTS) {
                        throw new SubPathException("subPath \"" + sp + "\": its mount target stays mounted after "
                                + MAX_STACKED_MOUNTS + " unmounts");
                    }
                    mounter.unmount(target);
                }
                log.info("subPath \"{}\": {} showed another file; unmounted it to bind again", sp, target);
            }
            created = ensureTarget(target, source.isDirectory());
            mounter.mount("/proc/self/fd/" + fd, target, null, LibC.MS_BIND, null);
            if (!LibC.stat(LibC.AT_FDCWD, target.toString(), LibC.AT_SYMLINK_NOFOLLOW).sameFile(source)) {
                mounter.unmount(target);
                throw new SubPathException("subPath \"" + sp + "\": the bind mount shows another file");
            }
            return false;
        } catch (SubPathException e) {
            if (created) {
                removeQuietly(target);
            }
            throw e;
        } catch (IOException | LastErrorException e) {
            log.warn("cannot bind subPath \"{}\" at {}: {}", sp, target, e.toString());
            if (created) {
                removeQuietly(target);
            }
            throw new SubPathException("subPath \"" + sp + "\" cannot be mounted: " + reason(e), e);
        }
    }

    /** Makes {@code target} a directory or an empty file; a stale one of the other kind is removed first. */
    private static boolean ensureTarget(Path target, boolean directory) throws IOException {
        BasicFileAttributes a = null;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            // made below
        }
        if (a != null) {
            if (!a.isSymbolicLink() && a.isDirectory() == directory) {
                return false;
            }
            Files.delete(target); // an empty dir, a stub file or a link: rmdir refuses anything non-empty
        }
        if (directory) {
            Files.createDirectory(target,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        } else {
            Files.createFile(target,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
        }
        return true;
    }

    private void unmountAllUnder(Path dir, String volumeName) throws IOException, SubPathException {
        for (int pass = 0; pass < MAX_STACKED_MOUNTS; pass++) {
            List<Path> mounted = mounter.mountPointsUnder(dir);
            if (mounted.isEmpty()) {
                return;
            }
            for (Path p : mounted) {
                mounter.unmount(p);
            }
        }
        if (!mounter.mountPointsUnder(dir).isEmpty()) {
            throw new SubPathException("the subPath mounts of volume \"" + volumeName + "\" stay mounted after "
                    + MAX_STACKED_MOUNTS + " passes");
        }
    }

    /** Removes one unmounted bind target: an empty directory or a file, never anything below it. */
    private void removeTarget(Path target, String volumeName) throws IOException, SubPathException {
        if (mounter.isMountPoint(target)) {
            throw new SubPathException("a subPath mount of volume \"" + volumeName + "\" is still mounted");
        }
        try {
            Files.delete(target);
        } catch (DirectoryNotEmptyException e) {
            throw new SubPathException("a subPath mount target of volume \"" + volumeName + "\" is not empty"
                    + " after its unmount: not removing it", e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        }
        return out;
    }

    private static void removeQuietly(Path target) {
        try {
            Files.deleteIfExists(target);
        } catch (IOException e) {
            log.warn("cannot remove the unused subPath target {}: {}", target, e.toString());
        }
    }

    private static void closeQuietly(int fd) {
        try {
            LibC.get().close(fd);
        } catch (LastErrorException e) {
            log.debug("close({}): {}", fd, LibC.describe(e.getErrorCode()));
        }
    }

    /** Why an operation failed, without host paths (messages reach the pod's status). */
    private static String reason(Throwable e) {
        if (e instanceof SubPathException) {
            return e.getMessage();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            int errno = LibC.errno(t);
            if (errno > 0) {
                return LibC.describe(errno);
            }
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof MountException) {
            return "a mount call failed";
        }
        return e.getClass().getSimpleName();
    }
}
