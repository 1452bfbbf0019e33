package dev.skiff.volume.block;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseFilesTest {
    @Test
    void createsOwnerOnlyFileOfTheSize(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("v.img");
        assertEquals(1 << 20, SparseFiles.create(f, 1 << 20));
        assertEquals(1 << 20, Files.size(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void sameSizeIsKeptAndLargerGrowsKeepingData(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("v.img");
        SparseFiles.create(f, 4096);
        Files.write(f, "data".getBytes(), java.nio.file.StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        SparseFiles.create(f, 4096);
        assertEquals(4096, Files.size(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        SparseFiles.create(f, 8192);
        assertEquals(8192, Files.size(f));
        assertEquals("data", new String(Files.readAllBytes(f), 0, 4));
    }

    @Test
    void refusesToShrink(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("v.img");
        SparseFiles.create(f, 8192);
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> SparseFiles.create(f, 4096));
        assertTrue(e.getMessage().contains("refusing to shrink"), e.getMessage());
        assertEquals(8192, Files.size(f));
    }

    @Test
    void refusesNonFilesAndBadSizes(@TempDir Path tmp) throws IOException {
        Path target = Files.createFile(tmp.resolve("target"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        assertThrows(BlockDeviceException.class, () -> SparseFiles.create(link, 4096));
        assertEquals(0, Files.size(target));
        assertThrows(BlockDeviceException.class, () -> SparseFiles.create(tmp, 4096));
        assertThrows(BlockDeviceException.class, () -> SparseFiles.create(tmp.resolve("z"), 0));
        assertThrows(BlockDeviceException.class, () -> SparseFiles.create(tmp.resolve("no/such/dir/f"), 4096));
    }
}
