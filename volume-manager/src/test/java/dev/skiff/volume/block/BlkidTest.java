package dev.skiff.volume.block;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlkidTest {
    @Test
    void filesystemType() {
        Blkid.Probe p = Blkid.parseExport("DEVNAME=/dev/loop0\nTYPE=ext4\n");
        assertEquals(Optional.of("ext4"), p.fsType());
        assertTrue(p.partitionTableType().isEmpty());
        assertFalse(p.isBlank());
        assertEquals("ext4", p.describe());
    }

    @Test
    void partitionTableWithoutFilesystemIsNotBlank() {
        Blkid.Probe p = Blkid.parseExport("DEVNAME=/dev/vda\nPTTYPE=gpt\n");
        assertTrue(p.fsType().isEmpty());
        assertEquals(Optional.of("gpt"), p.partitionTableType());
        assertFalse(p.isBlank());
        assertEquals("partition table gpt", p.describe());
    }

    @Test
    void emptyOutputIsBlank() {
        assertTrue(Blkid.parseExport("").isBlank());
        assertTrue(Blkid.parseExport("DEVNAME=/dev/loop0\nTYPE=\n").isBlank());
        assertEquals("nothing", Blkid.Probe.BLANK.describe());
    }

    @Test
    void escapedValuesAreUnescaped() {
        assertEquals(Optional.of("crypto LUKS"), Blkid.parseExport("TYPE=crypto\\ LUKS\n").fsType());
    }
}
