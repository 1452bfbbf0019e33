package dev.skiff.kubelet.source;

import com.sun.jna.LastErrorException;
import dev.skiff.kubelet.pod.ManifestLimits;
import dev.skiff.volume.mount.LibC;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads one entry of the manifest directory without ever blocking on it or reading more than the size limit.
 * Symlinks are followed, as upstream's file source does (os.Stat), but only a regular file is opened: a FIFO,
 * socket or device (or a link to one) is refused by its type. The open itself is non-blocking and the opened file's
 * type is checked again, so a FIFO swapped in after the check cannot hang the reader either. A file over the limit
 * is refused by its size without being read; one that grows past it while being read is refused too.
 */
final class ManifestFileReader {
    /** What reading one directory entry gave. */
    sealed interface Result permits Content, Gone, Directory, Refused {}

    /** The file's bytes, at most the limit. */
    record Content(byte[] bytes) implements Result {}

    /** Nothing is there any more. */
    record Gone() implements Result {}

    /** A directory: not a manifest, not an error (upstream does not recurse either). */
    record Directory() implements Result {}

    /**
     * Not read. {@code reason} says why without quoting the file; {@code version} changes when the file does, so a
     * refusal is logged once per version of the file.
     */
    record Refused(String reason, String version) implements Result {}

    private static final int CHUNK = 64 * 1024;

    private final long maxBytes;

    ManifestFileReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    Result read(Path file) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class); // follows symlinks
        } catch (NoSuchFileException e) {
            return Files.isSymbolicLink(file) ? new Refused("a symlink whose target does not exist", "dangling")
                    : new Gone();
        } catch (FileSystemException e) {
            return new Refused("cannot read: " + reason(e), "error:" + reason(e));
        } catch (IOException e) {
            return new Refused("cannot read: " + e.getMessage(), "error:" + e.getMessage());
        }
        if (attrs.isDirectory()) {
            return new Directory();
        }
        String version = attrs.size() + "@" + attrs.lastModifiedTime().toMillis() + "#" + attrs.fileKey();
        if (!attrs.isRegularFile()) {
            return notRegular(kind(file), version);
        }
        if (attrs.size() > maxBytes) {
            return tooLarge("the file is " + ManifestLimits.describeBytes(attrs.size()), version);
        }
        return readRegular(file, version);
    }

    private Result readRegular(Path file, String version) {
        LibC libc = LibC.get();
        int fd;
        try {
            fd = libc.openat(LibC.AT_FDCWD, file.toString(), LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.ENOENT) {
                return new Gone();
            }
            return new Refused("cannot read: " + LibC.describe(e.getErrorCode()), "errno:" + e.getErrorCode());
        }
        try {
            LibC.Stat st = LibC.stat(fd, "", LibC.AT_EMPTY_PATH);
            if (st.type() != LibC.S_IFREG) {
                return notRegular(kind(st.type()), version); // swapped in since the check
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[CHUNK];
            while (true) {
                long n = libc.read(fd, buf, buf.length);
                if (n <= 0) {
                    return new Content(out.toByteArray());
                }
                out.write(buf, 0, (int) n);
                if (out.size() > maxBytes) {
                    return tooLarge("the file grew past " + ManifestLimits.describeBytes(maxBytes)
                            + " while being read", version);
                }
            }
        } catch (LastErrorException e) {
            return new Refused("cannot read: " + LibC.describe(e.getErrorCode()), "errno:" + e.getErrorCode());
        } finally {
            try {
                libc.close(fd);
            } catch (LastErrorException ignored) {
                // nothing was written through it
            }
        }
    }

    private Refused tooLarge(String what, String version) {
        return new Refused(what + ", over the limit of " + ManifestLimits.describeBytes(maxBytes)
                + " for a manifest (--manifest-max-size); not read", "size:" + version);
    }

    private static Refused notRegular(String kind, String version) {
        return new Refused("not a regular file (" + kind + "): skipped without opening it", "kind:" + kind + version);
    }

    private static String kind(Path file) {
        try {
            Object mode = Files.getAttribute(file, "unix:mode");
            return mode instanceof Integer m ? kind(m & LibC.S_IFMT) : "a special file";
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "a special file";
        }
    }

    private static String kind(int type) {
        return switch (type) {
            case LibC.S_IFIFO -> "a FIFO";
            case LibC.S_IFSOCK -> "a socket";
            case LibC.S_IFCHR -> "a character device";
            case LibC.S_IFBLK -> "a block device";
            case LibC.S_IFDIR -> "a directory";
            default -> "a special file";
        };
    }

    /** A file system error without the path Java repeats in its message. */
    private static String reason(FileSystemException e) {
        String r = e.getReason();
        return r == null ? e.getClass().getSimpleName() : r.toLowerCase(java.util.Locale.ROOT);
    }
}
