package dev.skiff.volume.subpath;

import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.TestMounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real bind mounts under a fresh temp dir; needs root. */
class SafeSubPathIT {
    private final LinuxMounter mounter = new LinuxMounter();
    private final SafeSubPath subPaths = new SafeSubPath(mounter);
    private Path tmp;
    private Path podDir;
    private Path volume;
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory("skiff-subpath-it").toRealPath();
        podDir = Files.createDirectories(tmp.resolve("pods/uid-1"));
        volume = Files.createDirectories(podDir.resolve("volumes/kubernetes.io~empty-dir/vol"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("outside.txt"), "secret of the host");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestMounts.unmountAllAndDelete(tmp);
    }

    private SubPathRequest request(String subPath, String container, int index) {
        return new SubPathRequest(volume, subPath, podDir, "vol", container, index);
    }

    private Path subPathsDir() {
        return podDir.resolve("volume-subpaths");
    }

    private void assertRefused(String subPath, String message) throws IOException {
        SubPathException e = assertThrows(SubPathException.class, () -> subPaths.prepare(request(subPath, "c", 0)));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains(tmp.toString()), "no host path in: " + e.getMessage());
        assertEquals(List.of(), mounter.mountPointsUnder(podDir), "nothing mounted");
    }

    @Test
    void directorySubPathIsBound() throws Exception {
        Files.createDirectories(volume.resolve("sub/deep"));
        Files.writeString(volume.resolve("sub/deep/inside.txt"), "inside");

        Path target = subPaths.prepare(request("sub", "c", 0));

        assertEquals(subPathsDir().resolve("vol/c/0"), target);
        assertTrue(mounter.isMountPoint(target));
        assertEquals("inside", Files.readString(target.resolve("deep/inside.txt")));
        Files.writeString(target.resolve("written"), "through the bind");
        assertEquals("through the bind", Files.readString(volume.resolve("sub/written")));
        assertEquals(Files.getAttribute(volume.resolve("sub"), "unix:ino"), Files.getAttribute(target, "unix:ino"));
    }

    @Test
    void nestedSubPathWithDotAndDoubleSlashes() throws Exception {
        Files.createDirectories(volume.resolve("a/b"));
        Files.writeString(volume.resolve("a/b/f"), "ab");
        Path target = subPaths.prepare(request("./a//b/", "c", 3));
        assertEquals(subPathsDir().resolve("vol/c/3"), target);
        assertEquals("ab", Files.readString(target.resolve("f")));
    }

    @Test
    void fileSubPathIsBoundOnAFile() throws Exception {
        Files.createDirectories(volume.resolve("conf"));
        Files.writeString(volume.resolve("conf/app.properties"), "k=v");

        Path target = subPaths.prepare(request("conf/app.properties", "c", 1));

        assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS));
        assertTrue(mounter.isMountPoint(target));
        assertEquals("k=v", Files.readString(target));
    }

    @Test
    void missingSubPathIsCreatedWithTheVolumeMode() throws Exception {
        Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwxrwxrwx"));

        Path target = subPaths.prepare(request("new/deeper", "c", 0));

        for (String p : List.of("new", "new/deeper")) {
            Path d = volume.resolve(p);
            assertTrue(Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS), p);
            assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)), p);
        }
        Files.writeString(target.resolve("f"), "x");
        assertEquals("x", Files.readString(volume.resolve("new/deeper/f")));
    }

    @Test
    void configMapKeySymlinkInsideTheVolumeWorks() throws Exception {
        Path ts = Files.createDirectories(volume.resolve("..2024_01_01_00_00_00.123"));
        Files.writeString(ts.resolve("key"), "value-1");
        Files.createSymbolicLink(volume.resolve("..data"), Path.of(ts.getFileName().toString()));
        Files.createSymbolicLink(volume.resolve("key"), Path.of("..data/key"));

        Path target = subPaths.prepare(request("key", "c", 0));

        assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS));
        assertEquals("value-1", Files.readString(target));
    }

    @Test
    void dotDotIsRefused() throws Exception {
        Files.createDirectories(volume.resolve("a"));
        assertRefused("a/../b", "subPath \"a/../b\" must not contain \"..\"");
        assertRefused("..", "subPath \"..\" must not contain \"..\"");
        assertFalse(Files.exists(subPathsDir().resolve("vol/c/0")));
    }

    @Test
    void absoluteIsRefused() throws Exception {
        assertRefused("/etc", "subPath \"/etc\" must be a relative path");
    }

    @Test
    void absoluteSymlinkIsRefused() throws Exception {
        Files.createSymbolicLink(volume.resolve("link"), Path.of("/etc"));
        assertRefused("link", "subPath \"link\" escapes its volume");
        assertRefused("link/hostname", "subPath \"link/hostname\" escapes its volume");
    }

    @Test
    void relativeSymlinkEscapingIsRefused() throws Exception {
        Files.createSymbolicLink(volume.resolve("link"), Path.of("../../.."));
        assertRefused("link", "subPath \"link\" escapes its volume");
        Files.createSymbolicLink(volume.resolve("out"), Path.of("../../../../../outside"));
        assertTrue(Files.exists(volume.resolve("out/outside.txt")), "the test's link does reach outside");
        assertRefused("out", "subPath \"out\" escapes its volume");
    }

    @Test
    void missingSubPathBehindAnEscapingSymlinkIsNotCreated() throws Exception {
        Files.createSymbolicLink(volume.resolve("out"), outside);
        assertRefused("out/new", "subPath \"out/new\" escapes its volume");
        assertFalse(Files.exists(outside.resolve("new")), "nothing created outside the volume");
    }

    @Test
    void danglingSymlinkIsRefused() throws Exception {
        Files.createSymbolicLink(volume.resolve("dangling"), Path.of("nowhere"));
        SubPathException e = assertThrows(SubPathException.class,
                () -> subPaths.prepare(request("dangling", "c", 0)));
        assertTrue(e.getMessage().startsWith("subPath \"dangling\" cannot be resolved"), e.getMessage());
        assertFalse(Files.exists(volume.resolve("nowhere")));
    }

    @Test
    void componentSwappedAfterTheOpenDoesNotMatterTheOpenedDirIsBound() throws Exception {
        Path sub = Files.createDirectories(volume.resolve("sub"));
        Files.writeString(sub.resolve("inside.txt"), "original");
        subPaths.setAfterOpenHook(() -> swapForSymlink(sub));

        // Binding the opened fd, not the path, shows the original dir; the path now leads outside.
        Path target = subPaths.prepare(request("sub", "c", 0));

        assertTrue(Files.isSymbolicLink(volume.resolve("sub")), "the hook did swap the dir");
        assertEquals("original", Files.readString(target.resolve("inside.txt")));
        assertFalse(Files.exists(target.resolve("outside.txt")), "the outside dir must never be bound");
    }

    @Test
    void componentSwappedBetweenCheckAndOpenIsRefused() throws Exception {
        Path sub = Files.createDirectories(volume.resolve("sub/deeper"));
        Files.writeString(sub.resolve("inside.txt"), "original");
        Files.createDirectories(outside.resolve("deeper"));
        subPaths.setAfterCheckHook(() -> swapForSymlink(volume.resolve("sub")));

        assertRefused("sub/deeper", "subPath \"sub/deeper\": a component changed while it was being opened");
        assertTrue(Files.isSymbolicLink(volume.resolve("sub")), "the hook did swap the dir");
    }

    private void swapForSymlink(Path dir) {
        try {
            Files.move(dir, dir.resolveSibling(dir.getFileName() + ".moved"));
            Files.createSymbolicLink(dir, outside);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void secondPrepareReusesTheMount() throws Exception {
        Files.createDirectories(volume.resolve("sub"));
        Path first = subPaths.prepare(request("sub", "c", 0));
        List<MountInfo> before = TestMounts.entriesAt(first);
        assertEquals(1, before.size());

        Path second = subPaths.prepare(request("sub", "c", 0));

        assertEquals(first, second);
        List<MountInfo> after = TestMounts.entriesAt(second);
        assertEquals(1, after.size(), "not mounted twice");
        assertEquals(before.get(0).mountId(), after.get(0).mountId());
    }

    @Test
    void targetShowingAnotherFileIsRebound() throws Exception {
        Files.createDirectories(volume.resolve("a"));
        Files.writeString(volume.resolve("a/which"), "a");
        Files.createDirectories(volume.resolve("b"));
        Files.writeString(volume.resolve("b/which"), "b");
        Path target = subPaths.prepare(request("a", "c", 0));
        assertEquals("a", Files.readString(target.resolve("which")));

        subPaths.prepare(request("b", "c", 0));

        assertEquals("b", Files.readString(target.resolve("which")));
        assertEquals(1, TestMounts.entriesAt(target).size());
    }

    @Test
    void targetOfTheOtherKindIsReplaced() throws Exception {
        Files.createDirectories(volume.resolve("d"));
        Files.writeString(volume.resolve("f"), "file");
        Path target = subPaths.prepare(request("d", "c", 0));
        assertTrue(Files.isDirectory(target));

        subPaths.prepare(request("f", "c", 0));

        assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS));
        assertEquals("file", Files.readString(target));
        assertEquals(1, TestMounts.entriesAt(target).size());
    }

    @Test
    void cleanUnmountsAndRemovesButLeavesTheVolumeAlone() throws Exception {
        Files.createDirectories(volume.resolve("sub"));
        Files.writeString(volume.resolve("sub/data"), "keep me");
        Files.writeString(volume.resolve("file"), "keep me too");
        Path t1 = subPaths.prepare(request("sub", "c1", 0));
        Path t2 = subPaths.prepare(request("file", "c1", 1));
        Path t3 = subPaths.prepare(request("sub", "c2", 0));
        assertEquals(3, mounter.mountPointsUnder(subPathsDir()).size());

        subPaths.clean(podDir, "vol");

        assertEquals(List.of(), mounter.mountPointsUnder(podDir));
        for (Path t : List.of(t1, t2, t3)) {
            assertFalse(Files.exists(t, LinkOption.NOFOLLOW_LINKS), t.toString());
        }
        assertFalse(Files.exists(subPathsDir().resolve("vol")));
        assertEquals("keep me", Files.readString(volume.resolve("sub/data")));
        assertEquals("keep me too", Files.readString(volume.resolve("file")));

        subPaths.clean(podDir, "vol"); // missing: no-op
        subPaths.clean(podDir, "never-there");
    }

    @Test
    void cleanAllRemovesEveryVolumeAndTheDir() throws Exception {
        Path other = Files.createDirectories(podDir.resolve("volumes/kubernetes.io~empty-dir/other"));
        Files.createDirectories(volume.resolve("sub"));
        Files.createDirectories(other.resolve("x"));
        subPaths.prepare(request("sub", "c", 0));
        subPaths.prepare(new SubPathRequest(other, "x", podDir, "other", "c", 1));
        assertEquals(2, mounter.mountPointsUnder(subPathsDir()).size());

        subPaths.cleanAll(podDir);

        assertEquals(List.of(), mounter.mountPointsUnder(podDir));
        assertFalse(Files.exists(subPathsDir()));
        assertTrue(Files.isDirectory(volume.resolve("sub")));
        assertTrue(Files.isDirectory(other.resolve("x")));
        subPaths.cleanAll(podDir); // missing: no-op
    }

    @Test
    void cleanUnmountsStackedMountsAtATarget() throws Exception {
        Files.createDirectories(volume.resolve("sub"));
        Path target = subPaths.prepare(request("sub", "c", 0));
        mounter.bind(volume.resolve("sub"), target, false); // a stray second layer
        assertEquals(2, TestMounts.entriesAt(target).size());

        subPaths.clean(podDir, "vol");

        assertEquals(List.of(), mounter.mountPointsUnder(podDir));
        assertFalse(Files.exists(target));
    }
}
