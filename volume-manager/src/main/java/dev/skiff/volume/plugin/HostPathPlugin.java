package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code hostPath} (upstream pkg/volume/hostpath): the host's own path, checked against the volume's type exactly as
 * upstream's checkType does. Nothing is mounted and nothing is removed at teardown: the path is the host's.
 */
public final class HostPathPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/host-path";

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFCHR = 0020000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getHostPath() != null;
    }

    @Override
    public Path path(VolumeSpec spec) {
        return Path.of(spec.volume().getHostPath().getPath());
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        HostPathVolumeSource source = spec.volume().getHostPath();
        String p = source.getPath() == null ? "" : source.getPath();
        if (!p.startsWith("/")) {
            throw new VolumeException("hostPath path \"" + p + "\" must be an absolute path");
        }
        for (String part : p.split("/")) {
            if (part.equals("..")) {
                throw new VolumeException("hostPath path \"" + p + "\" must not contain '..'");
            }
        }
        checkType(Path.of(p), source.getType() == null ? "" : source.getType());
    }

    @Override
    public void tearDown(Path dir) {
        // the host's path is not ours to unmount or remove
    }

    /** Upstream checkTypeInternal, with its messages. Symlinks are followed, as os.Stat does. */
    static void checkType(Path path, String type) throws VolumeException {
        try {
            switch (type) {
                case "" -> {
                }
                case "DirectoryOrCreate" -> {
                    if (!Files.exists(path)) {
                        Files.createDirectories(path);
                        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
                        return;
                    }
                    requireDirectory(path);
                }
                case "Directory" -> requireDirectory(path);
                case "FileOrCreate" -> {
                    if (!Files.exists(path)) {
                        try {
                            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
                        } catch (FileAlreadyExistsException e) {
                            // made by someone else since: check it as an existing path
                        }
                        if (Files.isRegularFile(path)) {
                            return;
                        }
                    }
                    requireFile(path);
                }
                case "File" -> requireFile(path);
                case "Socket" -> requireFormat(path, S_IFSOCK, "is not a socket file");
                case "CharDevice" -> requireFormat(path, S_IFCHR, "is not a character device");
                case "BlockDevice" -> requireFormat(path, S_IFBLK, "is not a block device");
                default -> throw new VolumeException(type + " is an invalid volume type");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new VolumeException("hostPath type check failed: " + path + ": no such file or directory"
                    + (e.getFile() != null && !e.getFile().equals(path.toString()) ? " (" + e.getFile() + ")" : ""), e);
        } catch (IOException e) {
            throw new VolumeException("hostPath type check failed: " + path + ": " + e, e);
        }
    }

    private static void requireDirectory(Path path) throws VolumeException {
        if (!Files.isDirectory(path)) {
            throw new VolumeException("hostPath type check failed: " + path + " is not a directory");
        }
    }

    private static void requireFile(Path path) throws VolumeException {
        if (!Files.isRegularFile(path)) {
            throw new VolumeException("hostPath type check failed: " + path + " is not a file");
        }
    }

    private static void requireFormat(Path path, int format, String what) throws VolumeException, IOException {
        int mode = Files.exists(path) ? (Integer) Files.getAttribute(path, "unix:mode") : 0;
        if ((mode & S_IFMT) != format) {
            throw new VolumeException("hostPath type check failed: " + path + " " + what);
        }
    }
}
