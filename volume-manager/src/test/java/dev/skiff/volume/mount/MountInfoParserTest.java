package dev.skiff.volume.mount;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountInfoParserTest {
    private static final String TABLE = String.join("\n",
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
            "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
            "42 27 254:0 /var/lib/docker /var/lib/docker rw,relatime shared:1 - ext4 /dev/vda rw",
            "50 27 0:45 / /tmp/with\\040space\\011tab\\134slash rw,nosuid shared:7 master:3 propagate_from:2 unbindable"
                    + " - tmpfs tmp\\040fs rw,size=1024k",
            "51 27 0:46 / /var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache ro - tmpfs tmpfs ro",
            "");

    @Test
    void parsesEveryField() {
        MountInfo m = MountInfoParser.parseLine(
                "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue");
        assertEquals(36, m.mountId());
        assertEquals(35, m.parentId());
        assertEquals(98, m.major());
        assertEquals(0, m.minor());
        assertEquals("/mnt1", m.root());
        assertEquals("/mnt/parent", m.mountPoint());
        assertEquals("rw,noatime", m.mountOptions());
        assertEquals(List.of("master:1"), m.optionalFields());
        assertEquals("ext3", m.fsType());
        assertEquals("/dev/root", m.source());
        assertEquals("rw,errors=continue", m.superOptions());
        assertEquals(OptionalInt.of(1), m.masterPeerGroup());
        assertFalse(m.isShared());
        assertFalse(m.readOnly());
    }

    @Test
    void noOptionalFields() {
        MountInfo m = MountInfoParser.parseLine("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard");
        assertEquals(List.of(), m.optionalFields());
        assertEquals("/", m.mountPoint());
        assertEquals("ext4", m.fsType());
        assertEquals("/dev/vda", m.source());
    }

    @Test
    void manyOptionalFieldsAndEscapes() {
        List<MountInfo> all = MountInfoParser.parse(TABLE);
        assertEquals(5, all.size());
        MountInfo m = all.get(3);
        assertEquals("/tmp/with space\ttab\\slash", m.mountPoint());
        assertEquals(List.of("shared:7", "master:3", "propagate_from:2", "unbindable"), m.optionalFields());
        assertEquals(OptionalInt.of(7), m.sharedPeerGroup());
        assertEquals(OptionalInt.of(3), m.masterPeerGroup());
        assertTrue(m.isShared());
        assertEquals("tmp fs", m.source());
        assertEquals("rw,size=1024k", m.superOptions());
        assertTrue(all.get(4).readOnly());
        assertEquals(Path.of("/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache"), all.get(4).path());
    }

    @Test
    void unescapeLeavesOtherBackslashesAndNonAscii() {
        assertEquals("a\\x", MountInfoParser.unescape("a\\x"));
        assertEquals("a\\04", MountInfoParser.unescape("a\\04"));
        assertEquals("é b", MountInfoParser.unescape("é\\040b"));
        assertEquals("line\nbreak", MountInfoParser.unescape("line\\012break"));
    }

    @Test
    void missingSuperOptionsAreEmpty() {
        MountInfo m = MountInfoParser.parseLine("60 27 0:50 / /x rw - tmpfs");
        assertEquals("tmpfs", m.fsType());
        assertEquals("", m.source());
        assertEquals("", m.superOptions());
    }

    @Test
    void malformedLinesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> MountInfoParser.parseLine("27 1 254:0 / /"));
        assertThrows(IllegalArgumentException.class,
                () -> MountInfoParser.parseLine("27 1 254:0 / / rw shared:1 ext4 /dev/vda rw"));
        assertThrows(IllegalArgumentException.class,
                () -> MountInfoParser.parseLine("x 1 254:0 / / rw - ext4 /dev/vda rw"));
    }

    @Test
    void readsAFileAndReportsItsPathOnError() throws Exception {
        Path f = Files.createTempFile("mountinfo", ".txt");
        try {
            Files.writeString(f, TABLE);
            assertEquals(5, MountInfoParser.read(f).size());
            Files.writeString(f, "garbage\n");
            MountException e = assertThrows(MountException.class, () -> MountInfoParser.read(f));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void mountPointsUnderAreDeepestFirstAndStackedOnesLastMountedFirst() {
        List<MountInfo> table = MountInfoParser.parse(String.join("\n",
                "1 0 8:1 / / rw - ext4 /dev/sda rw",
                "2 1 0:2 / /p rw - tmpfs tmpfs rw",
                "3 2 0:3 / /p/a rw - tmpfs tmpfs rw",
                "4 3 0:4 / /p/a/b/c rw - tmpfs tmpfs rw",
                "5 2 0:5 / /p/d rw - tmpfs tmpfs rw",
                "6 3 0:6 / /p/a/b rw - tmpfs tmpfs rw",
                "7 5 0:7 / /p/d rw - tmpfs tmpfs rw",
                "8 1 0:8 / /pother rw - tmpfs tmpfs rw",
                "9 1 0:9 / /q/p rw - tmpfs tmpfs rw"));
        assertEquals(List.of(Path.of("/p/a/b/c"), Path.of("/p/a/b"), Path.of("/p/d"), Path.of("/p/d"),
                        Path.of("/p/a"), Path.of("/p")),
                LinuxMounter.mountPointsUnder(table, Path.of("/p")));
        assertEquals(List.of(Path.of("/p/a/b/c"), Path.of("/p/a/b")),
                LinuxMounter.mountPointsUnder(table, Path.of("/p/a/b")));
        assertEquals(List.of(), LinuxMounter.mountPointsUnder(table, Path.of("/p/a/b/c/d")));
    }

    @Test
    void mounterReadsTheTableItIsGiven() throws Exception {
        Path dir = Files.createTempDirectory("mi").toRealPath();
        Path f = dir.resolve("mountinfo");
        try {
            Files.createDirectory(dir.resolve("m"));
            Files.createSymbolicLink(dir.resolve("link"), dir.resolve("m"));
            Files.writeString(f, "1 0 8:1 / / rw - ext4 /dev/sda rw\n"
                    + "2 1 0:2 / " + dir.resolve("m") + " rw - tmpfs tmpfs rw\n");
            LinuxMounter m = new LinuxMounter(f);
            assertTrue(m.isMountPoint(dir.resolve("m")));
            assertTrue(m.isMountPoint(dir.resolve("x/../m")));
            assertFalse(m.isMountPoint(dir.resolve("link")), "a symlink is never a mount point");
            assertFalse(m.isMountPoint(dir.resolve("missing")));
            assertFalse(m.isMountPoint(dir));
            assertEquals(List.of(dir.resolve("m")), m.mountPointsUnder(dir));
        } finally {
            Files.deleteIfExists(f);
            Files.deleteIfExists(dir.resolve("link"));
            Files.deleteIfExists(dir.resolve("m"));
            Files.deleteIfExists(dir);
        }
    }
}
