package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wait for a copier's final read (what ContainerStatus of an exited container does before it answers), and
 * copiers whose Docker hangs on a state check: the other copiers go on.
 */
class ContainerLogsFinalReadTest {
    private static final String A = "aaaa0123456789aaaa0123456789aaaa0123456789aaaa0123456789aaaa0123";
    private static final String B = "bbbb0123456789bbbb0123456789bbbb0123456789bbbb0123456789bbbb0123";
    @TempDir
    Path dir;

    @Test
    void theFinalReadIsAwaitedOnceAndLeavesEveryLineInTheFile() throws Exception {
        List<FakeLogDaemon.Line> lines = lines(20); // handed out 50 ms apart: about a second of following
        String endpoint = "unix://" + dir.resolve("docker.sock");
        try (FakeLogDaemon daemon = new FakeLogDaemon(dir.resolve("docker.sock"), lines, 50);
             ContainerLogs logs = new ContainerLogs(endpoint, fast(Duration.ofSeconds(30)), dir.resolve("locks"))) {
            Path log = dir.resolve("a/0.log");
            logs.follow(A, log, false);
            assertTrue(logs.awaitFinalRead(A, Duration.ofSeconds(60)), "the copier ended within the wait");
            assertEquals(texts(20), texts(log), "every line is in the file when the wait returns");
            assertFalse(logs.isCopying(A));
            assertTrue(logs.awaitFinalRead(A, Duration.ofSeconds(60)), "nothing to wait for any more");
            assertTrue(logs.awaitFinalRead("unknown", Duration.ofSeconds(60)), "a container nothing copies is not waited for");
        }
    }

    @Test
    void aHungStateCheckHoldsUpNoOtherCopierAndIsWaitedForOnce() throws Exception {
        List<FakeLogDaemon.Line> lines = lines(3);
        String endpoint = "unix://" + dir.resolve("docker.sock");
        // a state check left unanswered for 300 ms counts as Docker not answering
        try (FakeLogDaemon daemon = new FakeLogDaemon(dir.resolve("docker.sock"), lines, 10);
             ContainerLogs logs = new ContainerLogs(endpoint, fast(Duration.ofMillis(300)), dir.resolve("locks"))) {
            daemon.hangInspectOf(A);
            Path logA = dir.resolve("a/0.log");
            Path logB = dir.resolve("b/0.log");
            logs.follow(A, logA, false);
            await(() -> daemon.inspectsHeld() >= 1); // A's followed stream ended; its state check hangs
            logs.follow(B, logB, false);
            await(() -> !logs.isCopying(B));
            assertEquals(texts(3), texts(logB), "B copied to its end while A's state check hung");

            await(() -> daemon.inspectsHeld() >= 2); // A's check timed out, A reconnected and asks again
            assertTrue(logs.isCopying(A), "A waits for Docker instead of giving up");
            assertEquals(texts(3), texts(logA), "A's lines once each across its reconnections");
            assertFalse(logs.awaitFinalRead(A, Duration.ofMillis(200)), "A's final read does not come while Docker hangs");
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> logs.awaitFinalRead(A, Duration.ofMinutes(5)),
                    "a second status call does not wait again");
        }
    }

    private static ContainerLogs.Retry fast(Duration answerWait) {
        return new ContainerLogs.Retry(Duration.ofMillis(10), Duration.ofMillis(50), 5, answerWait);
    }

    private static List<FakeLogDaemon.Line> lines(int n) {
        Instant start = Instant.parse("2026-01-02T03:04:05.100Z");
        return IntStream.range(0, n).mapToObj(k -> new FakeLogDaemon.Line(start.plusMillis(50L * k), "line-" + k)).toList();
    }

    private static List<String> texts(int n) {
        return IntStream.range(0, n).mapToObj(k -> "line-" + k).toList();
    }

    private static List<String> texts(Path log) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            out.add(CriLogLine.parse(l).orElseThrow().text());
        }
        return out;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out");
            Thread.sleep(10);
        }
    }
}
