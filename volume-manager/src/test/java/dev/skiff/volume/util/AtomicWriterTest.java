package dev.skiff.volume.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicWriterTest {
    @TempDir
    Path dir;

    private static FileProjection f(String data, int mode) {
        return new FileProjection(data.getBytes(StandardCharsets.UTF_8), mode);
    }

    private boolean write(Map<String, FileProjection> payload) throws IOException {
        return new AtomicWriter(dir, "test").write(payload);
    }

    private String dataTarget() throws IOException {
        return Files.readSymbolicLink(dir.resolve("..data")).toString();
    }

    private List<String> timestampDirs() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+")).sorted().toList();
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private String read(String rel) throws IOException {
        return Files.readString(dir.resolve(rel));
    }

    @Test
    void firstWriteLaysOutTimestampDirDataLinkAndVisibleLinks() throws IOException {
        assertTrue(write(Map.of("a", f("1", 0644), "sub/deep/b", f("2", 0600))));

        assertTrue(Files.isSymbolicLink(dir.resolve("..data")));
        String ts = dataTarget();
        assertEquals(List.of(ts), timestampDirs(), "one timestamped dir, named ..yyyy_MM_dd_HH_mm_ss.N");
        assertTrue(Files.isDirectory(dir.resolve(ts), LinkOption.NOFOLLOW_LINKS));
        assertEquals("rwxr-xr-x", mode(dir.resolve(ts)));
        assertEquals("rwxr-xr-x", mode(dir.resolve(ts).resolve("sub/deep")));

        assertEquals(Path.of("..data/a"), Files.readSymbolicLink(dir.resolve("a")));
        assertEquals(Path.of("..data/sub"), Files.readSymbolicLink(dir.resolve("sub")));
        assertEquals("1", read("a"));
        assertEquals("2", read("sub/deep/b"));
        assertEquals("rw-r--r--", mode(dir.resolve(ts).resolve("a")));
        assertEquals("rw-------", mode(dir.resolve(ts).resolve("sub/deep/b")));
        assertFalse(Files.exists(dir.resolve("..data_tmp"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void modesAreExactWhateverTheUmask() throws IOException {
        // 0777 and 0666 would lose group/other write bits to a 022 umask without the chmod after the write
        write(Map.of("all", f("x", 0777), "rw", f("x", 0666), "none", f("x", 0), "ro", f("x", 0400), "x", f("x", 0751)));
        Path ts = dir.resolve(dataTarget());
        assertEquals("rwxrwxrwx", mode(ts.resolve("all")));
        assertEquals("rw-rw-rw-", mode(ts.resolve("rw")));
        assertEquals("---------", mode(ts.resolve("none")));
        assertEquals("r--------", mode(ts.resolve("ro")));
        assertEquals("rwxr-x--x", mode(ts.resolve("x")));
    }

    @Test
    void unchangedPayloadWritesNothing() throws IOException {
        Map<String, FileProjection> payload = Map.of("a", f("1", 0644), "d/b", f("2", 0644));
        assertTrue(write(payload));
        String ts = dataTarget();
        Object inode = Files.getAttribute(dir.resolve(ts).resolve("a"), "unix:ino");

        assertFalse(write(Map.of("a", f("1", 0644), "d/b", f("2", 0644))));
        assertEquals(ts, dataTarget());
        assertEquals(List.of(ts), timestampDirs());
        assertEquals(inode, Files.getAttribute(dir.resolve(ts).resolve("a"), "unix:ino"), "file not rewritten");
    }

    @Test
    void changedContentSwapsToANewTimestampDirAndRemovesTheOld() throws IOException {
        write(Map.of("a", f("1", 0644), "b", f("same", 0644)));
        String old = dataTarget();

        assertTrue(write(Map.of("a", f("2", 0644), "b", f("same", 0644))));
        String now = dataTarget();
        assertNotEquals(old, now);
        assertEquals(List.of(now), timestampDirs());
        assertFalse(Files.exists(dir.resolve(old), LinkOption.NOFOLLOW_LINKS));
        assertEquals("2", read("a"));
        assertEquals("same", read("b"));
    }

    @Test
    void aModeChangeAloneIsAChange() throws IOException {
        write(Map.of("a", f("1", 0644)));
        String old = dataTarget();
        assertTrue(write(Map.of("a", f("1", 0600))));
        assertNotEquals(old, dataTarget());
        assertEquals("rw-------", mode(dir.resolve(dataTarget()).resolve("a")));
    }

    @Test
    void aRemovedKeyLosesItsVisibleLink() throws IOException {
        write(Map.of("keep", f("k", 0644), "gone", f("g", 0644), "dir/x", f("x", 0644), "dir/y", f("y", 0644),
                "old/z", f("z", 0644)));

        assertTrue(write(Map.of("keep", f("k", 0644), "dir/x", f("x", 0644))));
        assertFalse(Files.exists(dir.resolve("gone"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(dir.resolve("old"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isSymbolicLink(dir.resolve("dir")));
        assertEquals("x", read("dir/x"));
        assertFalse(Files.exists(dir.resolve("dir/y")));
        assertEquals("k", read("keep"));
        assertEquals(1, timestampDirs().size());
    }

    @Test
    void anEmptyPayloadStillGetsADataDir() throws IOException {
        write(Map.of("a", f("1", 0644)));
        assertTrue(write(Map.of()));
        assertTrue(Files.isDirectory(dir.resolve("..data")));
        assertFalse(Files.exists(dir.resolve("a"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(write(Map.of()));
    }

    @Test
    void aMissingVisibleLinkIsPutBack() throws IOException {
        write(Map.of("a", f("1", 0644)));
        Files.delete(dir.resolve("a"));
        assertTrue(write(Map.of("a", f("1", 0644))), "the link was recreated: something changed");
        assertEquals("1", read("a"));
    }

    @Test
    void invalidPathsAreRefusedAndNothingIsWritten() {
        for (String bad : List.of("", "/abs", "..", "../x", "a/../b", "a/..", "..data", "..data/x", "..foo",
                "./..data", ".", "./", "a\0b", "x".repeat(256), "a/" + "y".repeat(4095))) {
            Map<String, FileProjection> payload = new LinkedHashMap<>();
            payload.put(bad, f("v", 0644));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> write(payload),
                    () -> "accepted " + bad);
            assertTrue(e.getMessage().startsWith("invalid path"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("..data"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void conflictingPathsAreRefused() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> write(Map.of("a", f("1", 0644), "a/b", f("2", 0644))));
        assertTrue(both.getMessage().contains("a is a file and also the directory of a/b"), both.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> write(Map.of("a//b", f("1", 0644), "a/b", f("2", 0644))));
        assertTrue(twice.getMessage().contains("more than one file projects to a/b"), twice.getMessage());
    }

    @Test
    void pathsAreCleaned() throws IOException {
        write(Map.of("./a//b/./c", f("1", 0644)));
        assertEquals("1", read("a/b/c"));
        assertTrue(Files.isRegularFile(dir.resolve(dataTarget()).resolve("a/b/c"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(write(Map.of("a/b/c", f("1", 0644))));
    }

    @Test
    void unrelatedEntriesAreLeftAlone() throws IOException {
        Files.writeString(dir.resolve("mine"), "user");
        Files.writeString(dir.resolve(".hidden"), "h");
        Files.createDirectory(dir.resolve("..other"));
        Files.writeString(dir.resolve("a"), "not a link"); // shadows the payload's a, as upstream leaves it
        write(Map.of("a", f("1", 0644), "b", f("2", 0644)));
        write(Map.of("b", f("3", 0644)));

        assertEquals("user", read("mine"));
        assertEquals("h", read(".hidden"));
        assertTrue(Files.isDirectory(dir.resolve("..other")));
        assertEquals("not a link", read("a"), "a regular file is never deleted");
        assertEquals("3", read("b"));
    }

    @Test
    void leftoversOfACrashedWriteAreCleanedUp() throws IOException {
        write(Map.of("a", f("1", 0644)));
        String current = dataTarget();
        Path stale = Files.createDirectory(dir.resolve("..2001_01_01_00_00_00.42"));
        Files.writeString(stale.resolve("a"), "stale");
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..2001_01_01_00_00_00.42"));

        write(Map.of("a", f("2", 0644)));
        assertFalse(Files.exists(stale, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(dir.resolve(current), LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of(dataTarget()), timestampDirs());
        assertEquals("2", read("a"));
    }

    @Test
    void aBrokenDataLinkIsRepaired() throws IOException {
        write(Map.of("a", f("1", 0644)));
        dev.skiff.volume.util.FileTrees.deleteOnOneFilesystem(dir.resolve(dataTarget()));
        assertTrue(write(Map.of("a", f("1", 0644))));
        assertEquals("1", read("a"));
    }

    @Test
    void aDataLinkThatIsNotOursIsRefusedWithoutDeletingAnything(@TempDir Path elsewhere) throws IOException {
        Files.writeString(elsewhere.resolve("precious"), "p");
        Files.createSymbolicLink(dir.resolve("..data"), elsewhere);
        IOException e = assertThrows(IOException.class, () -> write(Map.of("a", f("1", 0644))));
        assertTrue(e.getMessage().contains("not at a timestamped directory"), e.getMessage());
        assertEquals("p", Files.readString(elsewhere.resolve("precious")));
    }

    @Test
    void aDataDirectoryInsteadOfALinkIsRefused() throws IOException {
        Files.createDirectory(dir.resolve("..data"));
        IOException e = assertThrows(IOException.class, () -> write(Map.of("a", f("1", 0644))));
        assertTrue(e.getMessage().contains("is not a symlink"), e.getMessage());
    }

    @Test
    void deletingTheOldDirNeverFollowsSymlinks(@TempDir Path elsewhere) throws IOException {
        Files.writeString(elsewhere.resolve("precious"), "p");
        write(Map.of("a", f("1", 0644)));
        // something planted a link inside the timestamped dir
        Files.createSymbolicLink(dir.resolve(dataTarget()).resolve("planted"), elsewhere);
        write(Map.of("a", f("2", 0644)));
        assertEquals("p", Files.readString(elsewhere.resolve("precious")));
    }

    @Test
    void aMissingTargetDirIsAnError() {
        assertThrows(NoSuchFileException.class,
                () -> new AtomicWriter(dir.resolve("missing"), "test").write(Map.of("a", f("1", 0644))));
    }

    /**
     * Deterministic: after every step of a write the directory is looked at as a reader would see it. At each
     * point every visible file is from one version, and {@code ..data} names an existing directory.
     */
    @Test
    void aReaderSeesTheOldSetOrTheNewSetAtEveryStep() throws IOException {
        List<String> names = List.of("f0", "f1", "f2", "nested/f3");
        List<String> steps = new ArrayList<>();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicWriter writer = new AtomicWriter(dir, "test", step -> {
            steps.add(step);
            try {
                assertTrue(Files.isDirectory(dir.resolve("..data")), "..data resolves to a directory at " + step);
                Set<String> seen = new HashSet<>();
                for (String n : names) {
                    seen.add(Files.readString(dir.resolve(n)));
                }
                if (seen.size() != 1) {
                    failure.compareAndSet(null, "mixed versions at step " + step + ": " + seen);
                }
            } catch (IOException | AssertionError e) {
                failure.compareAndSet(null, "at step " + step + ": " + e);
            }
        });
        new AtomicWriter(dir, "test").write(payload(names, "v1"));
        for (int v = 2; v <= 4; v++) {
            steps.clear();
            assertTrue(writer.write(payload(names, "v" + v)));
            assertEquals(List.of("written", "linked", "swapped", "visible", "pruned", "cleaned"), steps);
            assertNull(failure.get(), failure.get());
            for (String n : names) {
                assertEquals("v" + v, read(n));
            }
        }
    }

    /**
     * A concurrent reader that resolves {@code ..data} once per read, as inotify-driven consumers do, and reads all
     * files from there: every complete read is one version. A read that loses its directory to the cleanup of an
     * old version starts over.
     */
    @Test
    void aConcurrentReaderThroughDataNeverSeesAMix() throws Exception {
        List<String> names = List.of("f0", "f1", "f2", "nested/f3");
        new AtomicWriter(dir, "test").write(payload(names, "v0"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Path data = dir.resolve("..data").toRealPath();
                    Set<String> seen = new HashSet<>();
                    for (String n : names) {
                        seen.add(Files.readString(data.resolve(n)));
                    }
                    reads.incrementAndGet();
                    if (seen.size() != 1) {
                        failure.compareAndSet(null, "mixed versions: " + seen);
                    }
                } catch (NoSuchFileException e) {
                    // the version this read started on was cleaned up: read again
                } catch (IOException e) {
                    failure.compareAndSet(null, e.toString());
                }
            }
        }, "atomic-writer-test-reader");
        reader.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            for (int v = 1; v <= 200 && System.nanoTime() < deadline; v++) {
                new AtomicWriter(dir, "test").write(payload(names, "v" + v));
            }
        } finally {
            stop.set(true);
            reader.join(Duration.ofSeconds(5).toMillis());
        }
        assertFalse(reader.isAlive());
        assertNull(failure.get(), failure.get());
        assertTrue(reads.get() > 0, "the reader read at least once");
    }

    private static Map<String, FileProjection> payload(List<String> names, String value) {
        Map<String, FileProjection> p = new LinkedHashMap<>();
        names.forEach(n -> p.put(n, f(value, 0644)));
        return p;
    }
}
