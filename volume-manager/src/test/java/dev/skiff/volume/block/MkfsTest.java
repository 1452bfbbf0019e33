package dev.skiff.volume.block;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MkfsTest {
    private static final Path DEV = Path.of("/dev/loop9");

    @Test
    void argumentsFollowUpstreamFormatAndMount() throws BlockDeviceException {
        assertEquals(List.of("-F", "-m0", "/dev/loop9"), Mkfs.arguments("ext4", DEV));
        assertEquals(List.of("-F", "-m0", "/dev/loop9"), Mkfs.arguments("ext3", DEV));
        assertEquals(List.of("-f", "/dev/loop9"), Mkfs.arguments("xfs", DEV));
        assertEquals(List.of("/dev/loop9"), Mkfs.arguments("btrfs", DEV));
    }

    @Test
    void oddTypesAreRefusedBeforeAnythingRuns() {
        for (String bad : List.of("../../bin/sh", "ext4 -O x", "EXT4", "")) {
            BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> Mkfs.arguments(bad, DEV));
            assertEquals("invalid fsType \"" + bad + "\" for /dev/loop9", e.getMessage());
        }
    }

    @Test
    void anInvalidTypeNeverProbesTheDevice() {
        // The missing device would make blkid fail differently; the type check comes first.
        BlockDeviceException e = assertThrows(BlockDeviceException.class,
                () -> new Mkfs().formatIfBlank(Path.of("/nonexistent/dev"), "a/b"));
        assertEquals("invalid fsType \"a/b\" for /nonexistent/dev", e.getMessage());
    }
}
