package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.mount.MountException;
import dev.skiff.volume.mount.Mounter;
import dev.skiff.volume.util.FileModes;
import dev.skiff.volume.util.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Volume directories made and removed safely: modes set exactly, tmpfs mounted once, nothing deleted through a mount. */
public final class VolumeDirs {
    /** Stacked mounts at one point are peeled one by one; more than this and something else keeps mounting. */
    private static final int MAX_STACKED_MOUNTS = 16;
    /** Upstream's mode for the root, pod, volumes and plugin directories: no access for other users. */
    public static final int PRIVATE_DIR_MODE = 0750;

    private final Mounter mounter;

    public VolumeDirs(Mounter mounter) {
        this.mounter = mounter;
    }

    public Mounter mounter() {
        return mounter;
    }

    /** {@code mkdir -p} of the parents (those it makes: 0750), then the exact permission bits on {@code dir}. */
    public static void ensureDir(Path dir, int mode) throws IOException {
        mkdirs(dir.getParent(), PRIVATE_DIR_MODE);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
        }
        Files.setPosixFilePermissions(dir, FileModes.permissions(mode));
    }

    /**
     * {@code mkdir -p} where every directory it makes gets exactly {@code mode} (the umask would widen nothing but
     * could narrow it); existing ones are left as they are, as upstream's MkdirAll does.
     */
    public static void mkdirs(Path dir, int mode) throws IOException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        mkdirs(dir.getParent(), mode);
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (Files.isDirectory(dir)) {
                return; // made by another thread since
            }
            throw e;
        }
        Files.setPosixFilePermissions(dir, FileModes.permissions(mode));
    }

    /** A tmpfs at {@code dir} unless one is mounted there already (so a restart adopts it, never mounts twice). */
    public void ensureTmpfs(Path dir, long sizeBytes, int dirMode) throws VolumeException {
        try {
            mkdirs(dir.getParent(), PRIVATE_DIR_MODE);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir);
            }
            if (mounter.isMountPoint(dir)) {
                return;
            }
            StringBuilder data = new StringBuilder("mode=").append(Integer.toOctalString(dirMode));
            if (sizeBytes > 0) {
                data.append(",size=").append(sizeBytes);
            }
            mounter.mount("tmpfs", dir, "tmpfs", 0, data.toString());
        } catch (IOException e) {
            throw new VolumeException("cannot mount a tmpfs: " + e.getMessage(), e);
        }
    }

    /**
     * Unmounts {@code dir} while it is a mount point, then deletes it and what it holds, without following symlinks
     * and refusing (with nothing deleted) when anything below is still mounted. A missing dir is already removed.
     */
    public void remove(Path dir) throws VolumeException {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            for (int i = 0; mounter.isMountPoint(dir); i++) {
                if (i == MAX_STACKED_MOUNTS) {
                    throw new VolumeException("still mounted after " + MAX_STACKED_MOUNTS + " unmounts");
                }
                mounter.unmount(dir);
            }
            List<Path> below = mounter.mountPointsUnder(dir);
            if (!below.isEmpty()) {
                throw new VolumeException("not removing the volume directory: still mounted below it: " + below);
            }
            FileTrees.deleteOnOneFilesystem(dir);
        } catch (MountException e) {
            throw new VolumeException(e.getMessage(), e);
        } catch (IOException e) {
            throw new VolumeException("cannot remove the volume directory: " + e.getMessage(), e);
        }
    }
}
