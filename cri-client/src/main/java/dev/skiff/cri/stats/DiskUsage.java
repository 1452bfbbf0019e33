package dev.skiff.cri.stats;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * Bytes and inodes a directory tree uses on its own filesystem, as upstream's {@code fs.DiskUsage} (and
 * {@code du -x -s -B1}) count them: allocated blocks ({@code st_blocks * 512}), hard links once, mounts below
 * not entered, symlinks not followed. Walks the whole tree: callers cache the answer and refresh it in the
 * background, never per request.
 */
public record DiskUsage(long usedBytes, long inodesUsed) {
    private interface LibC extends Library {
        int lstat(String path, Memory buf);
    }

    private static volatile LibC libc;
    private static volatile boolean nativeFailed;

    public static DiskUsage of(Path root) throws IOException {
        Object rootDev = Files.getAttribute(root, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        long[] totals = new long[2];
        Set<Object> seen = new HashSet<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root) && !rootDev.equals(Files.getAttribute(dir, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                    return FileVisitResult.SKIP_SUBTREE; // another filesystem mounted here
                }
                count(dir, attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.fileKey() == null || seen.add(attrs.fileKey())) {
                    count(file, attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE; // removed meanwhile, or unreadable: du skips it too
            }

            private void count(Path p, BasicFileAttributes attrs) {
                totals[0] += allocated(p, attrs.size());
                totals[1]++;
            }
        });
        return new DiskUsage(totals[0], totals[1]);
    }

    /** st_blocks * 512 (offset 64 of struct stat on both x86_64 and aarch64); the size in 4 KiB blocks without it. */
    private static long allocated(Path p, long size) {
        if (!nativeFailed) {
            try {
                if (libc == null) {
                    libc = Native.load("c", LibC.class);
                }
                Memory buf = new Memory(256);
                if (libc.lstat(p.toString(), buf) == 0) {
                    return buf.getLong(64) * 512;
                }
                return 0; // gone meanwhile
            } catch (LinkageError | RuntimeException e) {
                nativeFailed = true;
            }
        }
        return (size + 4095) / 4096 * 4096;
    }
}
