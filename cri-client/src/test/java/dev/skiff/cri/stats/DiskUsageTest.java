package dev.skiff.cri.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class DiskUsageTest {
    @Test
    void countsAllocatedBytesAndInodesWithHardLinksOnce(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("vol");
        Files.createDirectories(root.resolve("sub"));
        Files.write(root.resolve("sub/data"), new byte[100_000]);
        Files.createLink(root.resolve("link"), root.resolve("sub/data"));
        Files.createSymbolicLink(root.resolve("sym"), Path.of("/etc"));
        DiskUsage du = DiskUsage.of(root);
        assertEquals(4, du.inodesUsed(), "root, sub, data (once), the symlink: " + du);
        assertTrue(du.usedBytes() >= 100_000 && du.usedBytes() < 200_000, "the file counted once, not /etc: " + du);
    }

    @Test
    void statfsOfARealFilesystem(@TempDir Path tmp) throws Exception {
        Statfs fs = Statfs.of(tmp);
        assertTrue(fs.capacityBytes() > 0 && fs.availableBytes() <= fs.capacityBytes(), fs.toString());
        assertTrue(fs.inodes() >= fs.inodesFree(), fs.toString());
    }
}
