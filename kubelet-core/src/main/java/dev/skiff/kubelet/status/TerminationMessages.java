package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.Mount;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The termination messages of exited containers, as upstream's getTerminationMessage: the file the container
 * wrote at its terminationMessagePath (at most 4096 bytes), or, with FallbackToLogsOnError and a failed
 * container that wrote none, the tail of its log (at most 80 lines and 2048 bytes).
 */
public final class TerminationMessages {
    static final int MAX_MESSAGE_BYTES = 4096;
    static final int MAX_LOG_LINES = 80;
    static final int MAX_LOG_BYTES = 2048;
    private static final String FALLBACK_TO_LOGS_ON_ERROR = "FallbackToLogsOnError";

    private TerminationMessages() {
    }

    /** Container id → message, for the exited containers of {@code view} that have one. */
    public static Map<String, String> read(CriPodView view) {
        Map<String, String> out = new HashMap<>();
        for (ContainerStatus c : view.containers()) {
            if (c.getState() != ContainerState.CONTAINER_EXITED) {
                continue;
            }
            String message = of(c);
            if (!message.isEmpty()) {
                out.put(c.getId(), message);
            }
        }
        return out;
    }

    static String of(ContainerStatus c) {
        var info = KubeAnnotations.ContainerInfo.from(c.getLabelsMap(), c.getAnnotationsMap());
        String message = "";
        if (!info.terminationMessagePath().isEmpty()) {
            for (Mount m : c.getMountsList()) {
                if (m.getContainerPath().equals(info.terminationMessagePath())) {
                    message = tail(Path.of(m.getHostPath()));
                    break;
                }
            }
        }
        if (message.isEmpty() && FALLBACK_TO_LOGS_ON_ERROR.equals(info.terminationMessagePolicy())
                && c.getExitCode() != 0 && !c.getLogPath().isEmpty()) {
            message = logTail(Path.of(c.getLogPath()));
        }
        return message;
    }

    /** The end of the file, as upstream's tail.ReadAtMost: a long message keeps its last bytes. */
    private static String tail(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long size = f.length();
            byte[] b = new byte[(int) Math.min(size, MAX_MESSAGE_BYTES)];
            f.seek(size - b.length);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last lines of a CRI log file, without their timestamp, stream and tag fields. */
    static String logTail(Path file) {
        byte[] tail;
        boolean cut;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            // each CRI line carries ~40 bytes of prefix: read enough to find 80 lines' worth of text
            long size = f.length();
            int want = (int) Math.min(size, (long) MAX_LOG_LINES * 64 + MAX_LOG_BYTES * 2);
            tail = new byte[want];
            cut = want < size;
            f.seek(size - want);
            f.readFully(tail);
        } catch (IOException e) {
            return "";
        }
        Deque<String> lines = new ArrayDeque<>();
        String[] raw = new String(tail, StandardCharsets.UTF_8).split("\n");
        int first = cut ? 1 : 0; // a window that starts mid-file starts mid-line
        for (int i = raw.length - 1; i >= first && lines.size() < MAX_LOG_LINES; i--) {
            String[] parts = raw[i].split(" ", 4);
            if (parts.length < 3) {
                continue;
            }
            String text = parts.length == 4 ? parts[3] : "";
            lines.addFirst(parts[2].equals("P") ? text : text + "\n");
        }
        StringBuilder sb = new StringBuilder();
        lines.forEach(sb::append);
        String s = sb.toString();
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_LOG_BYTES) {
            s = new String(bytes, bytes.length - MAX_LOG_BYTES, MAX_LOG_BYTES, StandardCharsets.UTF_8);
        }
        return s;
    }
}
