package dev.skiff.kubelet.logs;

import dev.skiff.cri.v1.ContainerState;
import dev.skiff.kubelet.worker.FakeClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

class ContainerLogManagerTest {
    private static final long MAX = 100;
    private static final Instant T0 = Instant.parse("2024-01-02T03:04:05Z");

    @TempDir
    Path dir;
    private final FakeLogRuntime rt = new FakeLogRuntime();
    private final FakeClock clock = new FakeClock(T0);
    private Path log;

    @BeforeEach
    void setUp() throws IOException {
        log = dir.resolve("app").resolve("0.log");
        Files.createDirectories(log.getParent());
        rt.add("c1", ContainerState.CONTAINER_RUNNING, log);
    }

    private ContainerLogManager manager(int maxFiles) {
        return new ContainerLogManager(rt, MAX, maxFiles, Duration.ofMillis(50), clock);
    }

    private static String content(int round) {
        return ("round-" + round + "\n").repeat(30); // 240 bytes, over MAX
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String gunzip(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void leavesALogBelowMaxSizeAlone() throws IOException {
        Files.writeString(log, "x".repeat((int) MAX - 1));
        manager(5).rotateLogs();
        assertEquals(List.of("0.log"), names(log.getParent()));
        assertTrue(rt.reopened.isEmpty());
    }

    @Test
    void rotatesAtMaxSizeToATimestampedFileAndReopens() throws IOException {
        Files.writeString(log, "x".repeat((int) MAX));
        manager(5).rotateLogs();
        assertEquals(List.of("0.log", "0.log.20240102-030405"), names(log.getParent()));
        assertEquals("x".repeat((int) MAX), Files.readString(log.resolveSibling("0.log.20240102-030405")));
        assertEquals(0, Files.size(log), "the runtime reopened a fresh log");
        assertEquals(List.of("c1"), rt.reopened);
        // Asked the runtime for running containers only.
        assertEquals(ContainerState.CONTAINER_RUNNING, rt.listRequests.get(0).getFilter().getState().getState());
    }

    @Test
    void keepsMaxFilesNewestUncompressedOlderGzipped() throws IOException {
        ContainerLogManager m = manager(3);
        for (int round = 1; round <= 4; round++) {
            Files.writeString(log, content(round));
            m.rotateLogs();
            clock.advance(Duration.ofSeconds(1));
        }
        // Rounds 1 and 2 are gone; at most maxFiles-1 = 2 rotated files and the current log.
        assertEquals(List.of("0.log", "0.log.20240102-030407.gz", "0.log.20240102-030408"), names(log.getParent()));
        assertEquals(content(3), gunzip(log.resolveSibling("0.log.20240102-030407.gz")));
        assertEquals(content(4), Files.readString(log.resolveSibling("0.log.20240102-030408")));
        assertEquals(4, rt.reopened.size());
    }

    @Test
    void withMaxFilesFiveCompressesAllButTheNewest() throws IOException {
        ContainerLogManager m = manager(5);
        for (int round = 1; round <= 7; round++) {
            Files.writeString(log, content(round));
            m.rotateLogs();
            clock.advance(Duration.ofSeconds(1));
        }
        List<Path> rotated = ContainerLogFiles.rotated(log);
        assertEquals(4, rotated.size());
        for (int i = 0; i < 3; i++) {
            assertTrue(rotated.get(i).toString().endsWith(".gz"), rotated.get(i).toString());
            assertEquals(content(4 + i), gunzip(rotated.get(i)));
        }
        assertEquals(content(7), Files.readString(rotated.get(3)));
    }

    @Test
    void rotationsWithinOneSecondGetNumberedNamesInOrder() throws IOException {
        ContainerLogManager m = manager(3);
        for (int round = 1; round <= 12; round++) { // clock never moves: -1 … -11 suffixes, -10 after -9
            Files.writeString(log, content(round));
            m.rotateLogs();
        }
        assertEquals(List.of("0.log", "0.log.20240102-030405-10.gz", "0.log.20240102-030405-11"), names(log.getParent()));
        assertEquals(content(11), gunzip(log.resolveSibling("0.log.20240102-030405-10.gz")));
        assertEquals(content(12), Files.readString(log.resolveSibling("0.log.20240102-030405-11")));
    }

    @Test
    void reopenFailureRenamesTheLogBackAndOtherContainersStillRotate() throws IOException {
        Path other = dir.resolve("other").resolve("0.log");
        Files.createDirectories(other.getParent());
        rt.add("c0", ContainerState.CONTAINER_RUNNING, other);
        rt.failReopen.add("c1");
        Files.writeString(log, content(1));
        Files.writeString(other, content(2));
        ContainerLogManager m = manager(3);
        m.rotateLogs();

        assertEquals(List.of("0.log"), names(log.getParent()), "renamed back, nothing rotated");
        assertEquals(content(1), Files.readString(log));
        assertEquals(List.of("0.log", "0.log.20240102-030405"), names(other.getParent()));
        assertTrue(rt.reopened.containsAll(List.of("c0", "c1")));

        rt.failReopen.clear(); // next period retries
        m.rotateLogs();
        assertEquals(List.of("0.log", "0.log.20240102-030405"), names(log.getParent()));
        assertEquals(content(1), Files.readString(log.resolveSibling("0.log.20240102-030405")));
    }

    @Test
    void statusErrorsAndNonRunningContainersDoNotStopThePass() throws IOException {
        Path exited = dir.resolve("exited.log");
        Files.writeString(exited, content(9));
        rt.add("gone", ContainerState.CONTAINER_RUNNING, dir.resolve("gone.log"));
        rt.failStatus.add("gone");
        rt.add("exited", ContainerState.CONTAINER_EXITED, exited);
        rt.add("nolog", ContainerState.CONTAINER_RUNNING, null);
        Files.writeString(log, content(1));
        manager(3).rotateLogs();

        assertEquals(List.of("0.log", "0.log.20240102-030405"), names(log.getParent()));
        assertEquals(content(9), Files.readString(exited), "exited containers are not rotated");
        assertEquals(List.of("c1"), rt.reopened);
    }

    @Test
    void missingLogIsReopened() throws IOException {
        manager(3).rotateLogs();
        assertEquals(List.of("c1"), rt.reopened);
        assertTrue(Files.exists(log));
    }

    @Test
    void leftoversOfAnInterruptedCompressionAreRemoved() throws IOException {
        Path d = log.getParent();
        Files.writeString(d.resolve("0.log.20240101-000000"), "half-compressed");
        Files.writeString(d.resolve("0.log.20240101-000000.gz"), "");
        Files.writeString(d.resolve("0.log.20240101-000001.tmp"), "partial");
        Files.writeString(log, content(1));
        manager(5).rotateLogs();
        assertEquals(List.of("0.log", "0.log.20240101-000000.gz", "0.log.20240102-030405"), names(d));
    }

    @Test
    void removeLogsDeletesTheLogAndItsRotatedSiblingsOnly() throws IOException {
        Path d = log.getParent();
        Files.writeString(log, "current");
        for (String n : List.of("0.log.20240101-000000.gz", "0.log.20240101-000001", "0.log.20240101-000002.tmp",
                "1.log", "0.logfile", "1.log.20240101-000000")) {
            Files.writeString(d.resolve(n), n);
        }
        assertEquals(4, ContainerLogManager.removeLogs(log));
        assertEquals(List.of("0.logfile", "1.log", "1.log.20240101-000000"), names(d));
        assertEquals(0, ContainerLogManager.removeLogs(log), "nothing left is fine");
        assertEquals(0, ContainerLogManager.removeLogs(dir.resolve("no-such-dir").resolve("0.log")));
    }

    @Test
    void rotatedListsOldestFirst() throws IOException {
        Path d = log.getParent();
        for (String n : List.of("0.log.20240101-000000-2", "0.log.20240101-000000.gz", "0.log.20240101-000000-10.gz",
                "0.log.20231231-235959", "0.log.20240101-000000-1.gz")) {
            Files.writeString(d.resolve(n), n);
        }
        assertEquals(List.of("0.log.20231231-235959", "0.log.20240101-000000.gz", "0.log.20240101-000000-1.gz",
                        "0.log.20240101-000000-2", "0.log.20240101-000000-10.gz"),
                ContainerLogFiles.rotated(log).stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void startRunsANamedDaemonThreadThatRotatesAndCloseStopsIt() throws Exception {
        Files.writeString(log, content(1));
        ContainerLogManager m = manager(3);
        m.start();
        Thread t = Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().equals("container-log-manager")).findFirst().orElseThrow();
        assertTrue(t.isDaemon());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (rt.reopened.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of("c1"), rt.reopened);
        int lists = rt.listRequests.size();
        Thread.sleep(200);
        assertTrue(rt.listRequests.size() > lists, "keeps checking every period");
        m.close();
        assertFalse(t.isAlive());
        lists = rt.listRequests.size();
        Thread.sleep(200);
        assertEquals(lists, rt.listRequests.size(), "no passes after close");
        m.close(); // idempotent
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new ContainerLogManager(rt, MAX, 1, Duration.ofSeconds(1), clock));
        assertThrows(IllegalArgumentException.class, () -> new ContainerLogManager(rt, 0, 5, Duration.ofSeconds(1), clock));
        assertThrows(IllegalArgumentException.class, () -> new ContainerLogManager(rt, MAX, 5, Duration.ZERO, clock));
    }

    @Test
    void negativeMaxSizeDisablesRotation() throws Exception {
        Files.writeString(log, content(1));
        try (ContainerLogManager m = new ContainerLogManager(rt, -1, 5, Duration.ofMillis(10), clock)) {
            m.start();
            Thread.sleep(100);
        }
        assertTrue(rt.listRequests.isEmpty());
        assertEquals(List.of("0.log"), names(log.getParent()));
    }
}
