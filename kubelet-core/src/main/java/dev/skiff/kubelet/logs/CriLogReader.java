package dev.skiff.kubelet.logs;

import dev.skiff.cri.docker.CriLogLine;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Writes a container's CRI log as upstream's kuberuntime {@code ReadLogs} does: the text of each record (a
 * {@code P} piece without newline, so pieces join into their line), optionally prefixed with its RFC 3339 time,
 * records older than {@code since} left out, the last {@code tailLines} lines, cut after {@code limitBytes}. Beyond
 * upstream, the rotated files ({@code <log>.<time>}, older ones gzipped) come first, oldest first. Following, it
 * reads on as the file grows, moves to the new file when the log is rotated, and ends once the container no longer
 * runs and the file is drained. It polls (every {@code poll}, the runtime every {@code livenessEvery}); it never
 * spins.
 */
public final class CriLogReader {
    /** Go's RFC3339Nano: fraction without trailing zeros. */
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    /**
     * @param tailLines  -1 for every line
     * @param limitBytes -1 for no limit
     * @param since      null for the beginning
     */
    public record Options(long tailLines, long limitBytes, Instant since, boolean timestamps, boolean follow) {
        public static Options of(PodLogOptions o, Instant now) {
            return new Options(o.tailLines() == null ? -1 : o.tailLines(), o.limitBytes() == null ? -1 : o.limitBytes(),
                    o.since(now), o.timestamps(), o.follow());
        }
    }

    /** Whether the container whose log is followed still runs. */
    @FunctionalInterface
    public interface Liveness {
        boolean running() throws IOException;
    }

    private final Duration poll;
    private final Duration livenessEvery;

    public CriLogReader() {
        this(Duration.ofMillis(200), Duration.ofSeconds(1));
    }

    public CriLogReader(Duration poll, Duration livenessEvery) {
        this.poll = poll;
        this.livenessEvery = livenessEvery;
    }

    /**
     * Writes the log whose current file is {@code current} to {@code out} (flushed, not closed). Returns when done;
     * an {@link IOException} from {@code out} (the client went away) ends it too and is thrown.
     *
     * @throws NoSuchFileException when neither the log nor a rotated file of it exists
     */
    public void read(Path current, Options options, Liveness liveness, OutputStream out) throws IOException, InterruptedException {
        List<Path> rotated = ContainerLogFiles.rotated(current);
        if (rotated.isEmpty() && !Files.exists(current)) {
            throw new NoSuchFileException(current.toString(), null, "no log file");
        }
        Writer w = new Writer(new BufferedOutputStream(out, 64 * 1024), options);
        try {
            if (options.tailLines() >= 0) {
                w.skipLines = countLines(rotated, current) - options.tailLines();
            }
            for (Path p : rotated) {
                try (LineReader r = new LineReader(open(p))) {
                    if (!w.drain(r)) {
                        return;
                    }
                } catch (NoSuchFileException gone) {
                    // removed by the log manager's rotation meanwhile: its lines are gone
                }
            }
            readCurrent(current, options, liveness, w);
        } finally {
            w.out.flush();
        }
    }

    private void readCurrent(Path path, Options options, Liveness liveness, Writer w) throws IOException, InterruptedException {
        Opened file = openCurrent(path, options.follow());
        if (file == null) {
            return;
        }
        long nextLivenessCheck = 0;
        try {
            while (true) {
                if (!w.drain(file.reader) || !options.follow()) {
                    return;
                }
                w.out.flush();
                Object now = fileKey(path);
                if (now != null && !now.equals(file.key)) {
                    // Rotated: the runtime writes to the new file only after reopening, so the old one is complete.
                    if (!w.drain(file.reader)) {
                        return;
                    }
                    file.reader.close();
                    file = openCurrent(path, true);
                    if (file == null) {
                        return;
                    }
                    continue;
                }
                if (System.nanoTime() - nextLivenessCheck >= 0) {
                    nextLivenessCheck = System.nanoTime() + livenessEvery.toNanos();
                    if (!liveness.running()) {
                        w.drain(file.reader); // what it wrote before it stopped
                        return;
                    }
                }
                Thread.sleep(poll.toMillis());
            }
        } finally {
            if (file != null) {
                file.reader.close();
            }
        }
    }

    private record Opened(LineReader reader, Object key) {}

    /** The current file and its identity (to notice a rotation); null when it is missing and cannot be waited for. */
    private Opened openCurrent(Path path, boolean wait) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            Object before = fileKey(path);
            if (before != null) {
                try {
                    InputStream in = Files.newInputStream(path);
                    if (before.equals(fileKey(path))) {
                        return new Opened(new LineReader(in), before);
                    }
                    in.close(); // replaced between the two looks: try again
                    continue;
                } catch (NoSuchFileException e) {
                    // renamed away right now
                }
            }
            // A rotation renamed it and the runtime has not reopened yet; give it up to 10 s.
            if (!wait || attempt >= 10_000 / Math.max(1, poll.toMillis())) {
                return null;
            }
            Thread.sleep(poll.toMillis());
        }
    }

    private static Object fileKey(Path path) throws IOException {
        try {
            return Objects.requireNonNull(Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static InputStream open(Path p) throws IOException {
        InputStream in = Files.newInputStream(p);
        return p.getFileName().toString().endsWith(ContainerLogFiles.GZ) ? new GZIPInputStream(in, 64 * 1024) : in;
    }

    /** How many lines (a line: its P pieces and its F record) the files hold. */
    private static long countLines(List<Path> rotated, Path current) throws IOException {
        List<Path> all = new ArrayList<>(rotated);
        all.add(current);
        long lines = 0;
        boolean atLineStart = true;
        for (Path p : all) {
            try (LineReader r = new LineReader(open(p))) {
                for (byte[] l = r.next(); l != null; l = r.next()) {
                    Optional<CriLogLine> rec = CriLogLine.parse(l, 0, l.length);
                    if (rec.isPresent()) {
                        if (atLineStart) {
                            lines++;
                        }
                        atLineStart = !rec.get().partial();
                    }
                }
            } catch (NoSuchFileException gone) {
                // rotated away meanwhile
            }
        }
        return lines;
    }

    /** Formats Go's RFC3339Nano (what upstream's {@code timestamps=true} prefixes). */
    static String rfc3339Nano(Instant t) {
        String s = SECONDS.format(t);
        int nanos = t.getNano();
        if (nanos == 0) {
            return s + "Z";
        }
        String frac = String.format("%09d", nanos);
        int cut = frac.length();
        while (frac.charAt(cut - 1) == '0') {
            cut--;
        }
        return s + "." + frac.substring(0, cut) + "Z";
    }

    /** The output side: which records go out, and how. */
    private static final class Writer {
        final OutputStream out;
        private final Options options;
        long skipLines;
        private long lineIndex = -1;
        private boolean atLineStart = true;
        private long written;
        private long linesOut;

        Writer(OutputStream out, Options options) {
            this.out = out;
            this.options = options;
        }

        /** Writes every complete record available now; false once the output is complete (tail or byte limit). */
        boolean drain(LineReader r) throws IOException {
            for (byte[] l = r.next(); l != null; l = r.next()) {
                Optional<CriLogLine> rec = CriLogLine.parse(l, 0, l.length);
                if (rec.isPresent() && !write(rec.get())) {
                    return false;
                }
            }
            return true;
        }

        private boolean write(CriLogLine rec) throws IOException {
            boolean startsLine = atLineStart;
            atLineStart = !rec.partial();
            if (startsLine) {
                lineIndex++;
                if (options.tailLines() >= 0 && !options.follow() && linesOut >= options.tailLines()) {
                    return false; // lines written after the count was taken
                }
            }
            if (lineIndex < skipLines || (options.since() != null && rec.time().isBefore(options.since()))) {
                return true;
            }
            if (startsLine) {
                linesOut++;
            }
            byte[] prefix = options.timestamps() && startsLine
                    ? (rfc3339Nano(rec.time()) + " ").getBytes(StandardCharsets.US_ASCII) : new byte[0];
            byte[] text = rec.content();
            return put(prefix) && put(text) && (rec.partial() || put(new byte[] {'\n'}));
        }

        private boolean put(byte[] b) throws IOException {
            int n = b.length;
            if (options.limitBytes() >= 0) {
                n = (int) Math.min(n, options.limitBytes() - written);
            }
            out.write(b, 0, n);
            written += n;
            return options.limitBytes() < 0 || written < options.limitBytes();
        }
    }
}
