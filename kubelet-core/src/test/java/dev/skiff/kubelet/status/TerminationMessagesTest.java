package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.Mount;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TerminationMessagesTest {
    private static final String MSG_PATH = "/dev/termination-log";
    private static final String TS = "2026-11-24T10:00:00.123456789Z";

    @TempDir
    Path tmp;

    private Path messageFile(String content) throws IOException {
        Path p = tmp.resolve("termination-log");
        Files.writeString(p, content);
        return p;
    }

    private Path log(List<String> lines) throws IOException {
        Path p = tmp.resolve("0.log");
        Files.write(p, lines, StandardCharsets.UTF_8);
        return p;
    }

    private static List<String> fullLines(int n, String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(TS + " stdout F " + prefix + i);
        }
        return out;
    }

    private static ContainerStatus status(String id, ContainerState state, int exitCode, String policy,
                                          Path messageHostFile, Path logPath) {
        ContainerStatus.Builder b = ContainerStatus.newBuilder().setId(id)
                .setMetadata(ContainerMetadata.newBuilder().setName("app"))
                .setState(state).setExitCode(exitCode)
                .putLabels(KubeAnnotations.CONTAINER_NAME, "app")
                .putAnnotations(KubeAnnotations.CONTAINER_TERMINATION_MESSAGE_PATH, MSG_PATH)
                .putAnnotations(KubeAnnotations.CONTAINER_TERMINATION_MESSAGE_POLICY, policy);
        if (messageHostFile != null) {
            b.addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("/nonexistent/data"));
            b.addMounts(Mount.newBuilder().setContainerPath(MSG_PATH).setHostPath(messageHostFile.toString()));
        }
        if (logPath != null) {
            b.setLogPath(logPath.toString());
        }
        return b.build();
    }

    @Test
    void fileMessageComesFromTheMountAtTheAnnotatedPath() throws IOException {
        Path file = messageFile("disk full\n");
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 1, "File", file, log(fullLines(3, "log ")));
        assertEquals("disk full\n", TerminationMessages.of(c));
    }

    @Test
    void fileMessageWinsOverLogsEvenWithFallback() throws IOException {
        Path file = messageFile("from file");
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 2, "FallbackToLogsOnError", file,
                log(fullLines(3, "log ")));
        assertEquals("from file", TerminationMessages.of(c));
    }

    @Test
    void noMountAtTheAnnotatedPathMeansNoFileMessage() throws IOException {
        messageFile("unreachable");
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 1, "File", null, log(fullLines(3, "log ")));
        assertEquals("", TerminationMessages.of(c));
    }

    @Test
    void fallbackUsesTheLogTailForAFailedContainerWithAnEmptyFile() throws IOException {
        Path file = messageFile("");
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 3, "FallbackToLogsOnError", file,
                log(fullLines(3, "line ")));
        assertEquals("line 1\nline 2\nline 3\n", TerminationMessages.of(c));
    }

    @Test
    void fallbackUsesTheLogTailWhenTheFileIsMissing() throws IOException {
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 3, "FallbackToLogsOnError",
                tmp.resolve("never-written"), log(fullLines(1, "boom ")));
        assertEquals("boom 1\n", TerminationMessages.of(c));
    }

    @Test
    void noFallbackForASuccessfulExit() throws IOException {
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 0, "FallbackToLogsOnError", messageFile(""),
                log(fullLines(3, "line ")));
        assertEquals("", TerminationMessages.of(c));
    }

    @Test
    void noFallbackUnderPolicyFile() throws IOException {
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 1, "File", messageFile(""),
                log(fullLines(3, "line ")));
        assertEquals("", TerminationMessages.of(c));
    }

    @Test
    void logTailKeepsTheLast80Lines() throws IOException {
        Path p = log(fullLines(100, "l"));
        StringBuilder want = new StringBuilder();
        for (int i = 21; i <= 100; i++) {
            want.append('l').append(i).append('\n');
        }
        assertEquals(want.toString(), TerminationMessages.logTail(p));
    }

    @Test
    void logTailKeepsTheLast2048Bytes() throws IOException {
        String text = "x".repeat(99);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            lines.add(TS + " stderr F " + String.format("%02d", i) + text); // 101 bytes of text + \n each
        }
        lines.add(TS + " stderr F END");
        String tail = TerminationMessages.logTail(log(lines));
        assertEquals(2048, tail.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(tail.endsWith(text + "\nEND\n"), tail);
    }

    @Test
    void partialLinesAreJoined() throws IOException {
        Path p = log(List.of(
                TS + " stdout F first",
                TS + " stdout P par",
                TS + " stdout P ti",
                TS + " stdout F al end",
                TS + " stderr F ",
                TS + " stderr F last"));
        assertEquals("first\npartial end\n\nlast\n", TerminationMessages.logTail(p));
    }

    @Test
    void logTailOfAMissingOrEmptyLogIsEmpty() throws IOException {
        assertEquals("", TerminationMessages.logTail(tmp.resolve("absent.log")));
        assertEquals("", TerminationMessages.logTail(log(List.of())));
    }

    @Test
    void fileMessageIsCappedAt4096Bytes() throws IOException {
        Path file = messageFile("a".repeat(5000));
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 1, "File", file, null);
        assertEquals(4096, TerminationMessages.of(c).length());
    }

    /**
     * Upstream getTerminationMessage reads the file with tail.ReadAtMost(path, 4096): the LAST 4096 bytes (what a
     * program wrote last, usually the error), not the first.
     */
    @Test
    void fileMessageKeepsTheLast4096BytesAsUpstream() throws IOException {
        Path file = messageFile("h".repeat(1000) + "t".repeat(4096));
        ContainerStatus c = status("c1", ContainerState.CONTAINER_EXITED, 1, "File", file, null);
        String message = TerminationMessages.of(c);
        assertEquals(4096, message.length());
        assertTrue(message.chars().allMatch(ch -> ch == 't'),
                "expected the last 4096 bytes (all 't'), got a message starting with: " + message.substring(0, 8));
    }

    @Test
    void readTakesOnlyExitedContainersWithAMessage() throws IOException {
        Path file = messageFile("bye");
        ContainerStatus exited = status("exited", ContainerState.CONTAINER_EXITED, 1, "File", file, null);
        ContainerStatus running = status("running", ContainerState.CONTAINER_RUNNING, 0, "File", file, null);
        ContainerStatus silent = status("silent", ContainerState.CONTAINER_EXITED, 0, "File", null, null);
        CriPodView view = new CriPodView(Optional.empty(), List.of(exited, running, silent));
        assertEquals(Map.of("exited", "bye"), TerminationMessages.read(view));
    }
}
