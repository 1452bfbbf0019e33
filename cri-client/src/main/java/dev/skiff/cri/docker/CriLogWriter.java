package dev.skiff.cri.docker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Appends CRI records to one log file, one write per record (so a reader never sees half a
 * record unless the process dies mid-write). {@link #reopen} swaps to a fresh file at the same
 * path under the same lock as writes, so no record is lost across a kubelet rotation.
 */
public final class CriLogWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CriLogWriter.class);
    /** How far back recovery looks for the run of records sharing the last timestamp. */
    private static final int MAX_TAIL_BYTES = 64 * 1024 * 1024;

    private final Path path;
    private FileChannel out;
    private boolean closed;
    private boolean failing;

    public CriLogWriter(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    public synchronized void write(CriLogLine line) throws IOException {
        if (closed) {
            return;
        }
        try {
            if (out == null) {
                open();
            }
            ByteBuffer buf = ByteBuffer.wrap(line.encode());
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            failing = false;
        } catch (IOException e) {
            if (!failing) {
                log.warn("cannot write CRI log {}: {}", path, e.toString());
            }
            failing = true;
            closeFile();
            throw e;
        }
    }

    /**
     * Creates the file (and its directory) now if it does not exist, as containerd and cri-dockerd do at container
     * start: a container that prints nothing still has its log file, and a new instance's file appears at once.
     */
    public synchronized void ensureExists() throws IOException {
        if (closed || out != null) {
            return;
        }
        open();
    }

    /** Closes the current file (the kubelet renamed it) and continues into a new one at the path. */
    public synchronized void reopen() throws IOException {
        if (closed) {
            throw new IOException("log writer for " + path + " is closed");
        }
        closeFile();
        open();
    }

    /** Releases the file handle; the next write opens it again. */
    public synchronized void suspend() {
        closeFile();
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeFile();
    }

    private void open() throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    private void closeFile() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                log.debug("closing CRI log {}: {}", path, e.toString());
            }
            out = null;
        }
    }

    /**
     * Where a previous copier left the file: drops a torn last record (one without its newline,
     * it will be copied again) and returns the last timestamp and how many records in a row at
     * the end carry it. When the file is missing or holds no record yet, the kubelet may just
     * have rotated it ({@code <name>.<timestamp>} beside it): then the newest uncompressed
     * rotated file says where copying stood, so nothing is copied twice.
     */
    public synchronized LogResumePoint recover() throws IOException {
        LogResumePoint live = recoverFrom(path, true);
        if (!live.isNone()) {
            return live;
        }
        Optional<Path> rotated = newestRotated();
        return rotated.isPresent() ? recoverFrom(rotated.get(), false) : LogResumePoint.NONE;
    }

    private LogResumePoint recoverFrom(Path file, boolean repairTornTail) throws IOException {
        if (!Files.isRegularFile(file)) {
            return LogResumePoint.NONE;
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), repairTornTail ? "rw" : "r")) {
            long length = f.length();
            long end = lastNewlineEnd(f, length);
            if (end < length && repairTornTail) {
                log.info("CRI log {}: dropping a torn last record of {} bytes", file, length - end);
                f.setLength(end);
            }
            return resumePoint(f, end);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return LogResumePoint.NONE;
        }
    }

    /** The kubelet's rotation names: {@code <name>.<YYYYMMDD-hhmmss>}, older ones gzipped. */
    private Optional<Path> newestRotated() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return Optional.empty();
        }
        String prefix = path.getFileName() + ".";
        try (var siblings = Files.list(dir)) {
            return siblings.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && !n.endsWith(".gz") && !n.endsWith(".tmp") && Files.isRegularFile(p);
            }).max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }

    /** Offset just past the last newline, 0 when there is none. */
    private static long lastNewlineEnd(RandomAccessFile f, long length) throws IOException {
        byte[] buf = new byte[8192];
        long pos = length;
        while (pos > 0) {
            int n = (int) Math.min(buf.length, pos);
            f.seek(pos - n);
            f.readFully(buf, 0, n);
            for (int i = n - 1; i >= 0; i--) {
                if (buf[i] == '\n') {
                    return pos - n + i + 1;
                }
            }
            pos -= n;
        }
        return 0;
    }

    static LogResumePoint resumePoint(RandomAccessFile f, long end) throws IOException {
        int window = 64 * 1024;
        while (true) {
            long start = Math.max(0, end - window);
            byte[] buf = new byte[(int) (end - start)];
            f.seek(start);
            f.readFully(buf);
            // The first line of the window may be cut unless the window starts at the file's start.
            List<int[]> lines = new ArrayList<>();
            int lineStart = 0;
            for (int i = 0; i < buf.length; i++) {
                if (buf[i] == '\n') {
                    lines.add(new int[] {lineStart, i + 1});
                    lineStart = i + 1;
                }
            }
            int first = start == 0 ? 0 : 1;
            LogResumePoint point = LogResumePoint.NONE;
            boolean runReachesWindowStart = true;
            for (int k = lines.size() - 1; k >= first; k--) {
                Optional<CriLogLine> rec = CriLogLine.parse(buf, lines.get(k)[0], lines.get(k)[1]);
                if (rec.isEmpty()) {
                    continue; // not a CRI record: ignore it
                }
                if (point.isNone()) {
                    point = new LogResumePoint(rec.get().time(), 1);
                } else if (rec.get().time().equals(point.last())) {
                    point = new LogResumePoint(point.last(), point.countAtLast() + 1);
                } else {
                    runReachesWindowStart = false;
                    break;
                }
            }
            if (start == 0 || !runReachesWindowStart || window >= MAX_TAIL_BYTES) {
                return point;
            }
            window *= 4;
        }
    }
}
