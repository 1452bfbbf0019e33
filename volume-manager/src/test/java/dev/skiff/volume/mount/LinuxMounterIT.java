package dev.skiff.volume.mount;

import com.sun.jna.LastErrorException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real mounts under a fresh temp dir; needs root. */
class LinuxMounterIT {
    private final LinuxMounter mounter = new LinuxMounter();
    private Path tmp;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory("skiff-mounter-it").toRealPath();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestMounts.unmountAllAndDelete(tmp);
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    @Test
    void tmpfsSizeIsEnforced() throws IOException {
        Path d = dir("tmpfs");
        mounter.mount("tmpfs", d, "tmpfs", 0, "size=1m,mode=0755");
        assertTrue(mounter.isMountPoint(d));
        MountInfo m = TestMounts.entriesAt(d).get(0);
        assertEquals("tmpfs", m.fsType());
        assertTrue(m.superOptions().contains("size=1024k"), m.superOptions());

        Files.write(d.resolve("small"), new byte[512 * 1024]);
        assertEquals(512 * 1024, Files.size(d.resolve("small")));
        Files.delete(d.resolve("small"));

        IOException e = assertThrows(IOException.class, () -> Files.write(d.resolve("big"), new byte[2 * 1024 * 1024]));
        assertTrue(String.valueOf(e.getMessage()).contains("No space left on device"), e.toString());
    }

    @Test
    void bindReadWriteShowsAndWritesTheSource() throws IOException {
        Path src = dir("src");
        Path dst = dir("dst");
        Files.writeString(src.resolve("a"), "hello");
        mounter.bind(src, dst, false);
        assertTrue(mounter.isMountPoint(dst));
        assertEquals("hello", Files.readString(dst.resolve("a")));
        Files.writeString(dst.resolve("b"), "through the bind");
        assertEquals("through the bind", Files.readString(src.resolve("b")));
        assertFalse(TestMounts.entriesAt(dst).get(0).readOnly());
    }

    @Test
    void bindReadOnlyRefusesWritesAndKeepsNosuidNodev() throws IOException {
        Path src = dir("src");
        mounter.mount("tmpfs", src, "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV, "size=1m");
        Files.writeString(src.resolve("a"), "hello");
        Path dst = dir("dst");
        mounter.bind(src, dst, true);
        assertEquals("hello", Files.readString(dst.resolve("a")));
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(dst.resolve("b"), "x"));
        assertTrue(String.valueOf(e.getReason()).contains("Read-only file system"), e.toString());
        Files.writeString(src.resolve("c"), "source stays writable");

        MountInfo m = TestMounts.entriesAt(dst).get(0);
        assertTrue(m.readOnly(), m.mountOptions());
        assertTrue(m.mountOptionList().contains("nosuid"), m.mountOptions());
        assertTrue(m.mountOptionList().contains("nodev"), m.mountOptions());
    }

    @Test
    void unmountNeverFollowsASymlink() throws IOException {
        Path m = dir("m");
        mounter.mount("tmpfs", m, "tmpfs", 0, "size=1m");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), m);

        assertFalse(mounter.isMountPoint(link), "a symlink is never a mount point");
        assertFalse(mounter.unmount(link));
        assertTrue(mounter.isMountPoint(m), "the mount behind the symlink is still there");
        // and the kernel agrees: UMOUNT_NOFOLLOW refuses the symlink itself
        LastErrorException e = assertThrows(LastErrorException.class,
                () -> LibC.get().umount2(link.toString(), LibC.UMOUNT_NOFOLLOW));
        assertEquals(LibC.EINVAL, e.getErrorCode());
        assertEquals(1, TestMounts.entriesAt(m).size());
    }

    @Test
    void isMountPointAndUnmount() throws IOException {
        Path m = dir("m");
        Path plain = dir("plain");
        assertFalse(mounter.isMountPoint(m));
        mounter.mount("tmpfs", m, "tmpfs", 0, "size=1m");
        assertTrue(mounter.isMountPoint(m));
        assertTrue(mounter.isMountPoint(tmp.resolve("plain/../m")), "the path is normalized");
        assertFalse(mounter.isMountPoint(plain));
        assertFalse(mounter.isMountPoint(tmp.resolve("missing")));
        assertFalse(mounter.isMountPoint(m.resolve("inside")));

        assertFalse(mounter.unmount(plain), "not a mount point: nothing to do");
        assertFalse(mounter.unmount(tmp.resolve("missing")));
        assertTrue(mounter.unmount(m));
        assertFalse(mounter.isMountPoint(m));
        assertEquals(List.of(), TestMounts.entriesAt(m));
    }

    @Test
    void isMountPointResolvesSymlinksAboveTheLastComponent() throws IOException {
        Path m = dir("real/m");
        mounter.mount("tmpfs", m, "tmpfs", 0, "size=1m");
        Files.createSymbolicLink(tmp.resolve("alias"), tmp.resolve("real"));
        assertTrue(mounter.isMountPoint(tmp.resolve("alias/m")));
        assertTrue(mounter.unmount(tmp.resolve("alias/m")));
        assertFalse(mounter.isMountPoint(m));
    }

    @Test
    void mountPointsUnderAreDeepestFirstAndUnmountCleanly() throws IOException {
        Path a = dir("a");
        mounter.mount("tmpfs", a, "tmpfs", 0, "size=1m");
        Path d = dir("d");
        mounter.mount("tmpfs", d, "tmpfs", 0, "size=1m");
        mounter.mount("tmpfs", d, "tmpfs", 0, "size=1m"); // stacked
        Path b = Files.createDirectories(a.resolve("b"));
        mounter.mount("tmpfs", b, "tmpfs", 0, "size=1m");
        Path c = Files.createDirectories(b.resolve("c"));
        mounter.mount("tmpfs", c, "tmpfs", 0, "size=1m");

        List<Path> under = mounter.mountPointsUnder(tmp);
        assertEquals(List.of(c, b, d, d, a), under);
        assertEquals(List.of(c, b), mounter.mountPointsUnder(b));
        assertEquals(List.of(), mounter.mountPointsUnder(tmp.resolve("missing")));

        for (Path p : under) {
            assertTrue(mounter.unmount(p), "unmount " + p);
        }
        assertEquals(List.of(), mounter.mountPointsUnder(tmp));
    }

    @Test
    void makeRSharedBindsAPlainDirOntoItselfAndSharesIt() throws IOException {
        Path d = dir("shared");
        Files.writeString(d.resolve("kept"), "yes");
        Path before = Files.createDirectories(d.resolve("before"));
        mounter.mount("tmpfs", before, "tmpfs", 0, "size=1m");
        Files.writeString(before.resolve("f"), "on the earlier mount");
        mounter.makeRShared(d);
        List<MountInfo> at = TestMounts.entriesAt(d);
        assertEquals(1, at.size());
        assertTrue(at.get(0).isShared(), "optional fields: " + at.get(0).optionalFields());
        assertEquals("yes", Files.readString(d.resolve("kept")));
        assertEquals("on the earlier mount", Files.readString(before.resolve("f")), "mounts below stay visible");
        // the earlier mount now shows twice: the original (covered) and its copy in the recursive bind, shared
        List<MountInfo> beforeEntries = TestMounts.entriesAt(before);
        assertTrue(beforeEntries.get(beforeEntries.size() - 1).isShared(), "shared recursively: " + beforeEntries);

        mounter.makeRShared(d); // already shared: nothing more is mounted
        assertEquals(1, TestMounts.entriesAt(d).size());

        // a mount below it propagates to a bind of it: proof the peer group is real
        Path peer = dir("peer");
        LibC.get().mount(d.toString(), peer.toString(), null, new com.sun.jna.NativeLong(LibC.MS_BIND), null);
        Path sub = Files.createDirectories(d.resolve("sub"));
        mounter.mount("tmpfs", sub, "tmpfs", 0, "size=1m");
        assertTrue(mounter.isMountPoint(peer.resolve("sub")));
    }

    @Test
    void errorsNameTheCallThePathAndErrno() throws IOException {
        Path missing = tmp.resolve("missing");
        MountException e = assertThrows(MountException.class,
                () -> mounter.mount("tmpfs", missing, "tmpfs", 0, "size=1m"));
        assertEquals("mount tmpfs on " + missing + ": No such file or directory (ENOENT)", e.getMessage());

        Path d = dir("d");
        e = assertThrows(MountException.class, () -> mounter.mount("x", d, "nosuchfs", 0, null));
        assertEquals("mount nosuchfs on " + d + ": No such device (ENODEV)", e.getMessage());

        e = assertThrows(MountException.class, () -> mounter.bind(missing, d, false));
        assertTrue(e.getMessage().startsWith("bind mount " + missing + " on " + d + ": "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(ENOENT)"), e.getMessage());
        assertFalse(mounter.isMountPoint(d));
    }

    @Test
    void libcDescribesErrno() {
        assertEquals("No space left on device (ENOSPC)", LibC.describe(28));
        assertEquals("Read-only file system (EROFS)", LibC.describe(30));
    }
}
