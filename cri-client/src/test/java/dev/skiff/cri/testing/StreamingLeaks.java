package dev.skiff.cri.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What an in-process streaming server holds, for the leak checks of the streaming ITs: the threads of its pools
 * ({@code cri-streaming-*}), this JVM's open files net of the log copiers, and the TCP connections on its port.
 * The shim adopts the log copying of every running pod container on this shared host (other tests' too), and each
 * copier holds a Docker connection, its log file and its lock: files are counted net of those.
 */
public final class StreamingLeaks {
    private StreamingLeaks() {}

    public static long streamingThreads() {
        return threadsNamed("cri-streaming-");
    }

    public static long netOpenFiles() {
        return openFiles() - 3 * threadsNamed("log-copier-");
    }

    /** Connections from or to {@code port} in any state but LISTEN and TIME-WAIT (which holds no descriptor). */
    public static List<String> connectionsTo(int port) {
        try {
            Process ss = new ProcessBuilder("ss", "-tan", "sport = :" + port + " or dport = :" + port).redirectErrorStream(true).start();
            List<String> lines = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("State") && !l.startsWith("LISTEN") && !l.startsWith("TIME-WAIT") && !l.isBlank()).toList();
            ss.waitFor();
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    private static long openFiles() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
