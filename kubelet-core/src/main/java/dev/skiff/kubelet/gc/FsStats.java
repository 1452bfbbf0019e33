package dev.skiff.kubelet.gc;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Capacity and available bytes of a filesystem, as cadvisor reports them for the image filesystem: capacity is
 * {@code f_blocks * f_frsize}, available {@code f_bavail * f_frsize} (what an unprivileged writer may still use).
 */
public record FsStats(long capacityBytes, long availableBytes) {
    /** Reads the statistics of the filesystem holding a path. */
    @FunctionalInterface
    public interface Reader {
        FsStats read(Path mountpoint) throws IOException;
    }

    /** java.nio's statvfs. */
    public static final Reader FILE_STORE = path -> {
        FileStore store = Files.getFileStore(path);
        return new FsStats(store.getTotalSpace(), store.getUsableSpace());
    };

    /** Upstream's arithmetic: {@code 100 - available * 100 / capacity}, available capped at capacity. */
    public int usagePercent() {
        long available = Math.min(availableBytes, capacityBytes);
        return capacityBytes <= 0 ? 0 : (int) (100 - available * 100 / capacityBytes);
    }

    /** Bytes to free to get down to {@code lowPercent}: {@code capacity * (100 - low) / 100 - available}. */
    public long bytesToFree(int lowPercent) {
        long available = Math.min(availableBytes, capacityBytes);
        return Math.max(0, capacityBytes * (100 - lowPercent) / 100 - available);
    }
}
