package dev.skiff.kubelet.logs;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads newline-terminated lines from a stream that may grow (a log being written): at the current end it answers
 * null and keeps the unfinished line for the next call, so a reader can wait and read on.
 */
final class LineReader implements Closeable {
    /** A CRI record is at most 16 KiB of content plus its header; anything longer is cut into lines of this size. */
    private static final int MAX_LINE = 1024 * 1024;

    private final InputStream in;
    private byte[] buf = new byte[64 * 1024];
    private int start;
    private int end;

    LineReader(InputStream in) {
        this.in = in;
    }

    /** The next complete line without its newline, or null when none is complete yet. */
    byte[] next() throws IOException {
        int scanned = 0; // bytes after start already looked at (fill() may move start)
        while (true) {
            for (int i = start + scanned; i < end; i++) {
                if (buf[i] == '\n') {
                    byte[] line = Arrays.copyOfRange(buf, start, i);
                    start = i + 1;
                    return line;
                }
            }
            scanned = end - start;
            if (end - start >= MAX_LINE) {
                byte[] line = Arrays.copyOfRange(buf, start, end);
                start = end;
                return line;
            }
            if (!fill()) {
                return null;
            }
        }
    }

    private boolean fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buf.length) {
            buf = Arrays.copyOf(buf, Math.min(buf.length * 2, MAX_LINE + 1));
        }
        int n = in.read(buf, end, buf.length - end);
        if (n <= 0) {
            return false;
        }
        end += n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
