package dev.skiff.cri.docker;

import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Turns the frames of Docker's logs API ({@code timestamps=true}) into CRI records.
 *
 * <p>Multiplexed stream (no TTY): each Docker frame is one log message {@code "<ts> <text>"}; Docker's
 * json-file logger cuts lines longer than 16 KiB into messages without a trailing newline, so a
 * message without newline is a {@code P} piece and one with a newline the {@code F} piece.
 *
 * <p>Raw stream (TTY): frames are arbitrary chunks; messages are rebuilt at newlines, and a
 * message growing past 16 KiB is emitted in {@code P} pieces. A trailing {@code \r} is dropped.
 */
public final class DockerLogFrameReader {
    static final int MAX_PIECE = 16 * 1024;
    private static final int MAX_TIMESTAMP = 40;
    /** Docker's messages are at most 16 KiB plus the timestamp; anything far larger is a broken stream. */
    private static final int MAX_FRAME = 64 * 1024 * 1024;

    private final Consumer<CriLogLine> sink;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    /** Raw mode: timestamp of the message being assembled, null before its prefix is read. */
    private Instant rawTime;
    /** Multiplexed mode: the frame header read so far, then the payload being filled. */
    private final byte[] header = new byte[8];
    private int headerFill;
    private byte[] payload;
    private int payloadFill;

    public DockerLogFrameReader(Consumer<CriLogLine> sink) {
        this.sink = sink;
    }

    public void accept(Frame frame) {
        byte[] payload = frame.getPayload();
        if (payload == null || payload.length == 0) {
            return;
        }
        if (frame.getStreamType() == StreamType.STDOUT || frame.getStreamType() == StreamType.STDERR) {
            message(frame.getStreamType() == StreamType.STDERR ? CriLogLine.STDERR : CriLogLine.STDOUT, payload);
        } else if (frame.getStreamType() == StreamType.RAW) {
            raw.write(payload, 0, payload.length);
            drainRaw(false);
        }
    }

    /**
     * Reads a whole logs API response body until it ends: Docker's stdcopy framing (8-byte
     * header: stream type, 3 zero bytes, big-endian payload size; one frame per log message)
     * or, for a TTY container, the raw byte stream.
     */
    public void copy(InputStream body, boolean tty) throws IOException {
        byte[] buf = new byte[8192];
        int n;
        while ((n = body.read(buf)) >= 0) {
            feed(buf, 0, n, tty);
        }
        if (insideFrame()) {
            throw new EOFException("log stream ended inside a frame");
        }
    }

    /**
     * Takes the next bytes of a logs API response body as they arrive (any split): stdcopy frames, or for a TTY
     * container the raw stream. A frame's payload is handed on once complete.
     */
    public void feed(byte[] b, int off, int len, boolean tty) throws IOException {
        if (tty) {
            if (len > 0) {
                accept(new Frame(StreamType.RAW, Arrays.copyOfRange(b, off, off + len)));
            }
            return;
        }
        int end = off + len;
        while (off < end) {
            if (payload == null) {
                int n = Math.min(header.length - headerFill, end - off);
                System.arraycopy(b, off, header, headerFill, n);
                headerFill += n;
                off += n;
                if (headerFill < header.length) {
                    return;
                }
                int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                if (size < 0 || size > MAX_FRAME) {
                    throw new IOException("malformed log stream: frame of " + (size & 0xffffffffL) + " bytes");
                }
                payload = new byte[size];
                payloadFill = 0;
            }
            int n = Math.min(payload.length - payloadFill, end - off);
            System.arraycopy(b, off, payload, payloadFill, n);
            payloadFill += n;
            off += n;
            if (payloadFill == payload.length) {
                StreamType type = switch (header[0]) {
                    case 1 -> StreamType.STDOUT;
                    case 2 -> StreamType.STDERR;
                    default -> null;
                };
                byte[] done = payload;
                payload = null;
                headerFill = 0;
                if (type != null) {
                    accept(new Frame(type, done));
                }
            }
        }
    }

    /** Whether the bytes fed so far end inside a stdcopy frame (a stream cut there lost part of a message). */
    public boolean insideFrame() {
        return headerFill > 0;
    }

    /** End of stream: whatever raw bytes remain form a last piece without newline. */
    public void finish() {
        drainRaw(true);
        raw.reset();
        rawTime = null;
        headerFill = 0;
        payload = null;
    }

    private void message(String stream, byte[] payload) {
        int space = CriLogLine.indexOf(payload, (byte) ' ', 0, Math.min(payload.length, MAX_TIMESTAMP));
        Instant time = space > 0 ? parseTime(payload, 0, space) : null;
        int from = time == null ? 0 : space + 1;
        if (time == null) {
            time = Instant.now(); // not expected from Docker; keep the text rather than drop it
        }
        boolean full = payload[payload.length - 1] == '\n';
        int to = full ? payload.length - 1 : payload.length;
        sink.accept(new CriLogLine(time, stream, !full, Arrays.copyOfRange(payload, from, to)));
    }

    private void drainRaw(boolean atEnd) {
        byte[] buf = raw.toByteArray();
        int pos = 0;
        while (pos < buf.length) {
            if (rawTime == null) {
                int space = CriLogLine.indexOf(buf, (byte) ' ', pos, Math.min(buf.length, pos + MAX_TIMESTAMP));
                if (space < 0) {
                    if (!atEnd && buf.length - pos < MAX_TIMESTAMP) {
                        break; // prefix not complete yet
                    }
                    rawTime = Instant.now();
                } else {
                    Instant t = parseTime(buf, pos, space);
                    rawTime = t == null ? Instant.now() : t;
                    if (t != null) {
                        pos = space + 1;
                    }
                }
            }
            int nl = CriLogLine.indexOf(buf, (byte) '\n', pos, Math.min(buf.length, pos + MAX_PIECE + 1));
            if (nl >= 0) {
                int to = nl > pos && buf[nl - 1] == '\r' ? nl - 1 : nl;
                sink.accept(new CriLogLine(rawTime, CriLogLine.STDOUT, false, Arrays.copyOfRange(buf, pos, to)));
                rawTime = null;
                pos = nl + 1;
            } else if (buf.length - pos >= MAX_PIECE) {
                sink.accept(new CriLogLine(rawTime, CriLogLine.STDOUT, true, Arrays.copyOfRange(buf, pos, pos + MAX_PIECE)));
                pos += MAX_PIECE;
            } else if (atEnd) {
                sink.accept(new CriLogLine(rawTime, CriLogLine.STDOUT, true, Arrays.copyOfRange(buf, pos, buf.length)));
                rawTime = null;
                pos = buf.length;
            } else {
                break;
            }
        }
        raw.reset();
        raw.write(buf, pos, buf.length - pos);
    }

    private static Instant parseTime(byte[] b, int from, int to) {
        try {
            return Instant.parse(new String(b, from, to - from, StandardCharsets.US_ASCII));
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
