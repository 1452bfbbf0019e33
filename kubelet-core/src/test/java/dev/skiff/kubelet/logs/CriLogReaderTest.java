package dev.skiff.kubelet.logs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** The reader on CRI log files written here: rotated (plain and gzipped) and current files, and a followed file. */
class CriLogReaderTest {
    private static final Instant T0 = Instant.parse("2024-01-02T15:04:05Z");
    private static final CriLogReader.Options ALL = new CriLogReader.Options(-1, -1, null, false, false);
    @TempDir
    Path dir;
    private final CriLogReader reader = new CriLogReader(Duration.ofMillis(20), Duration.ofMillis(50));

    /** line-0 … line-8 over an old gzipped file, the newest rotated file and the current one; line-4 is in two pieces. */
    private Path threeFiles() throws IOException {
        Path log = dir.resolve("0.log");
        gz(dir.resolve("0.log.20240102-150400.gz"), rec(0, "F", "line-0") + rec(1, "F", "line-1") + rec(2, "F", "line-2"));
        Files.writeString(dir.resolve("0.log.20240102-150401"), rec(3, "F", "line-3") + rec(4, "P", "line") + rec(4, "F", "-4")
                + rec(5, "F", "line-5"));
        Files.writeString(log, rec(6, "F", "line-6") + "not a CRI record\n" + rec(7, "F", "line-7") + rec(8, "F", "line-8"));
        Files.writeString(dir.resolve("0.log.20240102-150401.tmp"), rec(9, "F", "leftover"));
        return log;
    }

    @Test
    void readsRotatedGzippedAndCurrentFilesInOrderJoiningPieces() throws Exception {
        assertEquals(lines(0, 9), read(threeFiles(), ALL));
    }

    @Test
    void tailCountsWholeLinesFromTheEndAcrossFiles() throws Exception {
        Path log = threeFiles();
        assertEquals(lines(4, 9), read(log, new CriLogReader.Options(5, -1, null, false, false)));
        assertEquals("", read(log, new CriLogReader.Options(0, -1, null, false, false)));
        assertEquals(lines(0, 9), read(log, new CriLogReader.Options(100, -1, null, false, false)));
    }

    @Test
    void limitBytesCutsTheOutput() throws Exception {
        assertEquals("line-0\nline-1\nli", read(threeFiles(), new CriLogReader.Options(-1, 16, null, false, false)));
    }

    @Test
    void sinceLeavesOutOlderRecords() throws Exception {
        assertEquals(lines(7, 9), read(threeFiles(), new CriLogReader.Options(-1, -1, T0.plusSeconds(7), false, false)));
    }

    @Test
    void timestampsPrefixEachLineWithItsRfc3339NanoTime() throws Exception {
        Path log = dir.resolve("1.log");
        Files.writeString(log, "2024-01-02T15:04:05.120000000Z stdout P a\n2024-01-02T15:04:05.120000000Z stdout F b\n"
                + "2024-01-02T15:04:06.000000000Z stderr F c\n");
        assertEquals("2024-01-02T15:04:05.12Z ab\n2024-01-02T15:04:06Z c\n", read(log, new CriLogReader.Options(-1, -1, null, true, false)));
    }

    @Test
    void aMissingLogIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> read(dir.resolve("7.log"), ALL));
    }

    @Test
    void followSeesNewLinesAcrossARotationAndEndsWhenTheContainerStops() throws Exception {
        Path log = dir.resolve("0.log");
        Files.writeString(log, rec(0, "F", "line-0"));
        AtomicBoolean running = new AtomicBoolean(true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStream synced = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                out.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                out.write(b, off, len);
            }
        };
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            try {
                reader.read(log, new CriLogReader.Options(-1, -1, null, false, true), running::get, synced);
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        await(() -> text(synced, out).equals("line-0\n"));
        append(log, rec(1, "F", "line-1") + rec(2, "P", "line"));
        await(() -> text(synced, out).equals(lines(0, 2) + "line"));
        append(log, rec(2, "F", "-2"));
        Files.move(log, dir.resolve("0.log.20240102-150410")); // what the log manager does, then the runtime reopens
        append(dir.resolve("0.log.20240102-150410"), rec(3, "F", "line-3"));
        Thread.sleep(100);
        Files.writeString(log, rec(4, "F", "line-4"));
        await(() -> text(synced, out).equals(lines(0, 5)), () -> text(synced, out));
        assertFalse(done.isDone(), "following goes on while the container runs");
        append(log, rec(5, "F", "line-5"));
        running.set(false);
        done.get(30, TimeUnit.SECONDS);
        assertEquals(lines(0, 6), text(synced, out));
    }

    @Test
    void followEndsWhenTheClientIsGone() throws Exception {
        Path log = dir.resolve("0.log");
        Files.writeString(log, rec(0, "F", "line-0"));
        OutputStream gone = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        CompletableFuture<Throwable> done = CompletableFuture.supplyAsync(() -> {
            try {
                reader.read(log, new CriLogReader.Options(-1, -1, null, false, true), () -> true, gone);
                return null;
            } catch (IOException | InterruptedException e) {
                return e;
            }
        });
        assertEquals("Broken pipe", done.get(30, TimeUnit.SECONDS).getMessage());
    }

    private static String text(Object lock, ByteArrayOutputStream out) {
        synchronized (lock) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        await(c, () -> "");
    }

    private static void await(java.util.function.BooleanSupplier c, java.util.function.Supplier<String> seen) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, () -> "timed out; seen: " + seen.get());
            Thread.sleep(10);
        }
    }

    private String read(Path log, CriLogReader.Options o) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.read(log, o, () -> false, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String lines(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append("line-").append(i).append('\n');
        }
        return b.toString();
    }

    static String rec(int second, String tag, String text) {
        return T0.plusSeconds(second).toString().replace("Z", ".000000000Z") + " stdout " + tag + " " + text + "\n";
    }

    private static void append(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardOpenOption.APPEND, StandardOpenOption.CREATE);
    }

    private static void gz(Path p, String s) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
            o.write(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
