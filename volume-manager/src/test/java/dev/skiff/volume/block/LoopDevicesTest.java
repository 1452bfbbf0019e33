package dev.skiff.volume.block;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure parts of {@link LoopDevices} and its sysfs scan against a fixture tree; no devices touched. */
class LoopDevicesTest {
    @Test
    void loopNumberAcceptsOnlyLoopDevices() {
        assertEquals(OptionalInt.of(0), LoopDevices.loopNumber("loop0"));
        assertEquals(OptionalInt.of(12), LoopDevices.loopNumber("loop12"));
        assertTrue(LoopDevices.loopNumber("loop-control").isEmpty());
        assertTrue(LoopDevices.loopNumber("loop1p1").isEmpty());
        assertTrue(LoopDevices.loopNumber("vda").isEmpty());
        assertTrue(LoopDevices.loopNumber("loop").isEmpty());
        assertTrue(LoopDevices.loopNumber("loop99999999999").isEmpty());
    }

    @Test
    void backingFileDropsNewlineAndDeletedFiles() {
        assertEquals(Optional.of(Path.of("/var/lib/a b.img")), LoopDevices.parseBackingFile("/var/lib/a b.img\n"));
        assertEquals(Optional.of(Path.of("/x")), LoopDevices.parseBackingFile("/x"));
        assertTrue(LoopDevices.parseBackingFile("/var/lib/a.img (deleted)\n").isEmpty());
        assertTrue(LoopDevices.parseBackingFile("\n").isEmpty());
    }

    @Test
    void losetupShowOutputGivesTheDevice() {
        assertEquals(Optional.of(Path.of("/dev/loop7")), LoopDevices.parseLosetupShow("/dev/loop7\n"));
        assertTrue(LoopDevices.parseLosetupShow("").isEmpty());
        assertTrue(LoopDevices.parseLosetupShow("losetup: oops\n").isEmpty());
    }

    @Test
    void fileNameIsCutToFitTheKernelField() {
        assertArrayEquals("/a/b".getBytes(StandardCharsets.UTF_8), LoopDevices.fileName("/a/b"));
        assertEquals(63, LoopDevices.fileName("/" + "x".repeat(100)).length);
    }

    @Test
    void makedevMatchesGlibc() {
        assertEquals(0x700L, LoopDevices.makedev(7, 0));
        assertEquals(0x705L, LoopDevices.makedev(7, 5));
        // minor 300: low byte in bits 0-7, the rest from bit 20 up
        assertEquals((256L << 12) | 44 | 0x700, LoopDevices.makedev(7, 300));
        assertEquals((0x1000L << 32) | 0x100, LoopDevices.makedev(0x1001, 0));
    }

    @Test
    void scanFindsTheDevicesOfAFileAndSkipsDeletedAndFreeOnes(@TempDir Path tmp) throws IOException {
        Path file = Files.createFile(tmp.resolve("vol.img")).toRealPath();
        Path other = Files.createFile(tmp.resolve("other.img")).toRealPath();
        Path sys = Files.createDirectories(tmp.resolve("sys/block"));
        backing(sys, 0, other.toString());
        backing(sys, 3, file.toString());
        backing(sys, 10, file.toString());
        backing(sys, 2, file + " (deleted)");
        Files.createDirectories(sys.resolve("loop5")); // free: no loop/ group
        Files.createDirectories(sys.resolve("vda"));
        Path dev = tmp.resolve("dev");
        LoopDevices loops = new LoopDevices(dev, sys, Duration.ofSeconds(5));

        assertEquals(List.of(dev.resolve("loop3"), dev.resolve("loop10")), loops.findAll(file));
        assertEquals(Optional.of(dev.resolve("loop3")), loops.find(file));
        // found through a path that is not the real one
        assertEquals(Optional.of(dev.resolve("loop3")), loops.find(tmp.resolve("./vol.img")));
        assertEquals(Optional.of(dev.resolve("loop0")), loops.find(other));
        assertEquals(Optional.of(file), loops.backingFile(dev.resolve("loop3")));
        assertTrue(loops.backingFile(dev.resolve("loop5")).isEmpty());
        assertTrue(loops.backingFile(dev.resolve("loop2")).isEmpty());
        assertTrue(loops.find(tmp.resolve("missing.img")).isEmpty());
        assertThrows(BlockDeviceException.class, () -> loops.backingFile(Path.of("/dev/vda")));
        assertFalse(loops.detach(tmp.resolve("missing.img")));
    }

    @Test
    void attachRefusesWhatIsNotAFile(@TempDir Path tmp) {
        LoopDevices loops = new LoopDevices(tmp, tmp, Duration.ofSeconds(5));
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> loops.attach(tmp));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        e = assertThrows(BlockDeviceException.class, () -> loops.attach(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    private static void backing(Path sys, int n, String content) throws IOException {
        Path dir = Files.createDirectories(sys.resolve("loop" + n).resolve("loop"));
        Files.writeString(dir.resolve("backing_file"), content + "\n");
    }
}
