package dev.skiff.cri.stats;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * statvfs(3) of the filesystem holding a path, in the terms of upstream's FsStats: capacity is
 * {@code f_blocks * f_frsize}, available {@code f_bavail * f_frsize} (what an unprivileged writer may still use),
 * used {@code (f_blocks - f_bfree) * f_frsize}; inodes {@code f_files}, free {@code f_ffree}.
 */
public record Statfs(long capacityBytes, long availableBytes, long usedBytes, long inodes, long inodesFree) {
    private interface LibC extends Library {
        int statvfs(String path, Memory buf);
    }

    private static volatile LibC libc;

    public long inodesUsed() {
        return Math.max(0, inodes - inodesFree);
    }

    /** statvfs; java.nio's FileStore (no inodes) when native access fails. */
    public static Statfs of(Path path) throws IOException {
        try {
            if (libc == null) {
                libc = Native.load("c", LibC.class);
            }
            // struct statvfs on 64-bit Linux: unsigned longs f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, ...
            Memory buf = new Memory(256);
            buf.clear();
            if (libc.statvfs(path.toString(), buf) == 0) {
                long frsize = buf.getLong(8);
                long blocks = buf.getLong(16);
                long bfree = buf.getLong(24);
                long bavail = buf.getLong(32);
                long files = buf.getLong(40);
                long ffree = buf.getLong(48);
                return new Statfs(blocks * frsize, bavail * frsize, Math.max(0, (blocks - bfree) * frsize), files, ffree);
            }
        } catch (LinkageError | RuntimeException e) {
            // fall through to java.nio
        }
        FileStore store = Files.getFileStore(path);
        long total = store.getTotalSpace();
        return new Statfs(total, store.getUsableSpace(), Math.max(0, total - store.getUnallocatedSpace()), 0, 0);
    }
}
