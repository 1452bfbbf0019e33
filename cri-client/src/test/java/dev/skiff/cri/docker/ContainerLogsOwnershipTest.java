package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two shims on one Docker Engine adopt the same running container (each shim resumes copying every running pod
 * container when it connects): the second must not copy beside the first, or every line lands twice in the file.
 */
class ContainerLogsOwnershipTest {
    private static final String ID = "c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789";
    @TempDir
    Path dir;

    @Test
    void aSecondShimAdoptingAFollowedContainerDoesNotCopyItTwice() throws Exception {
        // 40 lines over about 2 s, 50 ms apart, several per second (so resuming relies on the skipper too)
        Instant start = Instant.parse("2026-01-02T03:04:05.100Z");
        List<FakeLogDaemon.Line> lines = IntStream.range(0, 40)
                .mapToObj(k -> new FakeLogDaemon.Line(start.plusMillis(50L * k), "line-" + k)).toList();
        Path log = dir.resolve("pod/c/0.log");
        Path locks = dir.resolve("locks");
        ContainerLogs.Retry fast = new ContainerLogs.Retry(Duration.ofMillis(10), Duration.ofMillis(50), 5);
        String endpoint = "unix://" + dir.resolve("docker.sock");
        try (FakeLogDaemon daemon = new FakeLogDaemon(dir.resolve("docker.sock"), lines, 50);
             DockerClient docker = DockerEndpoint.connect(endpoint)) {
            ContainerLogs first = new ContainerLogs(endpoint, fast, locks);
            ContainerLogs second = new ContainerLogs(endpoint, fast, locks);
            try {
                first.follow(ID, log, false);
                await(() -> lineCount(log) >= 5);
                second.follow(ID, log, false); // what a second shim's resumeLogs() does
                await(() -> !first.isCopying(ID) && !second.isCopying(ID));
            } finally {
                first.close();
                second.close();
            }
        }
        List<String> texts = new ArrayList<>();
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            texts.add(CriLogLine.parse(l).orElseThrow().text());
        }
        assertEquals(IntStream.range(0, 40).mapToObj(k -> "line-" + k).toList(), texts, "each line once, in order");
    }

    @Test
    void theLockIsExclusiveWithinAProcessAndFreedOnRelease() throws Exception {
        Path locks = dir.resolve("locks");
        LogCopierLock a = LogCopierLock.tryAcquire(locks, ID).orElseThrow();
        assertTrue(LogCopierLock.tryAcquire(locks, ID).isEmpty(), "held");
        a.release();
        LogCopierLock b = LogCopierLock.tryAcquire(locks, ID).orElseThrow();
        b.release();
    }

    private static long lineCount(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out");
            Thread.sleep(20);
        }
    }
}
