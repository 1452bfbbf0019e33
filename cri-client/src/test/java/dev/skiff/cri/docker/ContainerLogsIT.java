package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** CRI log files written from real containers' output. */
class ContainerLogsIT {
    private final DockerClient docker = TestDocker.client();
    private String namespace;
    private final List<ContainerLogs> toClose = new ArrayList<>();
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        namespace = TestDocker.newNamespace("skiff-logs-it");
    }

    @AfterEach
    void tearDown() {
        toClose.forEach(ContainerLogs::close);
        TestDocker.removeNamespace(namespace);
    }

    @Test
    void writesStdoutStderrLongAndUnterminatedLinesInCriFormat() throws Exception {
        String id = run("echo out1; echo err1 >&2; printf '%s\\n' \"$(head -c 20000 /dev/zero | tr '\\0' x)\"; echo out2; printf last");
        Path log = dir.resolve("pod/ctr/0.log");
        ContainerLogs logs = logs();
        logs.follow(id, log, false);
        awaitExit(id);
        await("copier ends after the container exits", () -> !logs.isCopying(id), Duration.ofSeconds(60));

        List<CriLogLine> records = records(log);
        List<CriLogLine> out = records.stream().filter(r -> r.stream().equals("stdout")).toList();
        List<CriLogLine> err = records.stream().filter(r -> r.stream().equals("stderr")).toList();
        assertEquals(List.of("err1"), err.stream().map(CriLogLine::text).toList());
        assertFalse(err.get(0).partial());

        assertEquals("out1", out.get(0).text());
        assertFalse(out.get(0).partial());
        // The 20000-char line: P pieces, then one F piece; together the original line.
        int i = 1;
        StringBuilder longLine = new StringBuilder();
        while (out.get(i).partial()) {
            longLine.append(out.get(i++).text());
        }
        longLine.append(out.get(i).text());
        assertTrue(i >= 2, "the long line is split into pieces: " + i);
        assertEquals("x".repeat(20000), longLine.toString());
        assertEquals(CriLogLine.of(out.get(i + 1).time(), "stdout", false, "out2"), out.get(i + 1));
        // The last line has no newline: a P piece with exactly what was written.
        assertEquals(CriLogLine.of(out.get(i + 2).time(), "stdout", true, "last"), out.get(i + 2));
        assertEquals(i + 3, out.size());

        // Timestamps are Docker's, in order, and the file is exactly the records.
        String file = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(file.matches("(?s)(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z std(out|err) [PF] [^\\n]*\\n)+"), "CRI format");
        for (int k = 1; k < out.size(); k++) {
            assertFalse(out.get(k).time().isBefore(out.get(k - 1).time()), "in order: " + out.stream().map(r -> r.time() + " " + r.partial() + " " + r.content().length).toList());
        }
    }

    @Test
    void aNewCopierResumesWithoutLossOrDuplicates() throws Exception {
        int n = 400;
        String id = run("i=0; while [ $i -lt " + n + " ]; do echo line-$i; i=$((i+1)); sleep 0.01; done");
        Path log = dir.resolve("0.log");
        ContainerLogs first = logs();
        first.follow(id, log, false);
        await("some lines copied", () -> lineCount(log) > 20, Duration.ofSeconds(60));
        first.close(); // the shim stops while the container keeps printing
        assertFalse(first.isCopying(id));
        Thread.sleep(700);
        ContainerLogs second = logs();
        second.follow(id, log, false);
        awaitExit(id);
        await("copier ends", () -> !second.isCopying(id), Duration.ofSeconds(60));

        List<String> expected = IntStream.range(0, n).mapToObj(k -> "line-" + k).toList();
        assertEquals(expected, records(log).stream().map(CriLogLine::text).toList());

        // Following an exited container whose file is complete adds nothing.
        ContainerLogs third = logs();
        third.follow(id, log, false);
        await("copier ends", () -> !third.isCopying(id), Duration.ofSeconds(60));
        assertEquals(expected, records(log).stream().map(CriLogLine::text).toList());
    }

    @Test
    void reopenAfterRenameContinuesIntoANewFile() throws Exception {
        int n = 300;
        String id = run("i=0; while [ $i -lt " + n + " ]; do echo line-$i; i=$((i+1)); sleep 0.01; done");
        Path log = dir.resolve("0.log");
        ContainerLogs logs = logs();
        logs.follow(id, log, false);
        assertTrue(logs.isCopying(id));
        assertNoThreadOf(id);
        await("some lines copied", () -> lineCount(log) > 20, Duration.ofSeconds(60));
        Path rotated = dir.resolve("0.log.20240101-000000");
        Files.move(log, rotated);
        logs.reopen(id);
        awaitExit(id);
        await("copier ends", () -> !logs.isCopying(id), Duration.ofSeconds(60));

        List<String> before = records(rotated).stream().map(CriLogLine::text).toList();
        List<String> after = records(log).stream().map(CriLogLine::text).toList();
        assertFalse(after.isEmpty(), "lines after the reopen go to the new file");
        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        assertEquals(IntStream.range(0, n).mapToObj(k -> "line-" + k).toList(), all);
    }

    @Test
    void forgetStopsTheCopierAndReopenOfUnknownIsNotFound() throws Exception {
        String id = run("while true; do echo tick; sleep 0.1; done");
        Path log = dir.resolve("0.log");
        ContainerLogs logs = logs();
        logs.follow(id, log, false);
        logs.follow(id, log, false); // idempotent
        await("some lines copied", () -> lineCount(log) > 2, Duration.ofSeconds(60));
        assertTrue(logs.isCopying(id));
        assertNoThreadOf(id);
        logs.forget(id);
        logs.forget(id);
        assertFalse(logs.isCopying(id));
        List<CriLogLine> copied = records(log);
        for (int i = 1; i < copied.size(); i++) {
            assertTrue(copied.get(i).time().isAfter(copied.get(i - 1).time()), "one copier, each tick once: " + copied);
        }
        long size = Files.size(log);
        Thread.sleep(500);
        assertEquals(size, Files.size(log), "nothing is written after forget");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> logs.reopen(id));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(id));
    }

    /** As containerd and cri-dockerd: the log file exists once the container is followed, even if it never prints. */
    @Test
    void aSilentContainerHasItsLogFileAtOnce() throws Exception {
        String id = run("sleep 30");
        Path log = dir.resolve("silent/ctr/0.log");
        ContainerLogs logs = logs();
        logs.follow(id, log, false);
        assertTrue(Files.isRegularFile(log), "no log file right after follow");
        assertEquals(0, Files.size(log));
        assertTrue(logs.isCopying(id));
    }

    @Test
    void ttyContainersAreCopiedFromTheRawStream() throws Exception {
        String id = docker.createContainerCmd(TestImages.busybox(docker))
                .withCmd("sh", "-c", "echo tty1; echo tty2; printf tty3")
                .withTty(true)
                .withLabels(Map.of("io.kubernetes.pod.namespace", namespace))
                .exec().getId();
        docker.startContainerCmd(id).exec();
        Path log = dir.resolve("tty.log");
        ContainerLogs logs = logs();
        logs.follow(id, log, true);
        awaitExit(id);
        await("copier ends", () -> !logs.isCopying(id), Duration.ofSeconds(60));
        List<CriLogLine> records = records(log);
        assertEquals(List.of("tty1", "tty2", "tty3"), records.stream().map(CriLogLine::text).toList());
        assertEquals(List.of(false, false, true), records.stream().map(CriLogLine::partial).toList());
        assertTrue(records.stream().allMatch(r -> r.stream().equals("stdout")));
    }

    private ContainerLogs logs() {
        ContainerLogs logs = new ContainerLogs(TestDocker.ENDPOINT);
        toClose.add(logs);
        return logs;
    }

    private String run(String script) {
        String id = docker.createContainerCmd(TestImages.busybox(docker))
                .withCmd("sh", "-c", script)
                .withLabels(Map.of("io.kubernetes.pod.namespace", namespace))
                .exec().getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    private void awaitExit(String id) throws InterruptedException {
        await("container " + id + " exits", () -> !Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning()),
                Duration.ofSeconds(60));
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static long lineCount(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static List<CriLogLine> records(Path log) throws Exception {
        List<CriLogLine> out = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            out.add(CriLogLine.parse(line).orElseThrow(() -> new AssertionError("not a CRI record: " + line)));
        }
        return out;
    }

    /** Copiers share the {@code log-copier} threads: no thread is the container's own. */
    private static void assertNoThreadOf(String id) {
        List<String> own = threadNames().stream().filter(t -> t.contains(id.substring(0, 12))).toList();
        assertTrue(own.isEmpty(), "threads of container " + id + ": " + own);
        List<String> copiers = threadNames().stream().filter(t -> t.startsWith("log-copier")).toList();
        assertTrue(copiers.stream().allMatch(t -> t.equals("log-copier") || t.equals("log-copier-io")), "shared threads only: " + copiers);
    }

    private static List<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).collect(Collectors.toList());
    }
}
