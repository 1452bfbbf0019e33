package dev.skiff.cri.docker;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Optional;

/**
 * One record of a CRI log file: {@code <RFC3339Nano> <stdout|stderr> <P|F> <content>\n}.
 * {@code P} marks a piece of a longer line, {@code F} the final (or only) piece. Content is
 * kept as bytes because Docker splits long lines at byte boundaries, even inside a UTF-8 character.
 */
public record CriLogLine(Instant time, String stream, boolean partial, byte[] content) {
    public static final String STDOUT = "stdout";
    public static final String STDERR = "stderr";
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.nnnnnnnnn'Z'").withZone(ZoneOffset.UTC);

    public CriLogLine {
        if (!stream.equals(STDOUT) && !stream.equals(STDERR)) {
            throw new IllegalArgumentException("stream must be stdout or stderr: " + stream);
        }
    }

    public static CriLogLine of(Instant time, String stream, boolean partial, String text) {
        return new CriLogLine(time, stream, partial, text.getBytes(StandardCharsets.UTF_8));
    }

    public String text() {
        return new String(content, StandardCharsets.UTF_8);
    }

    /** Timestamps always carry nine fraction digits so that records sort and compare as text too. */
    public static String formatTime(Instant time) {
        return TIMESTAMP.format(time);
    }

    /** The record with its trailing newline. */
    public byte[] encode() {
        byte[] head = (formatTime(time) + ' ' + stream + ' ' + (partial ? 'P' : 'F') + ' ').getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(head, head.length + content.length + 1);
        System.arraycopy(content, 0, out, head.length, content.length);
        out[out.length - 1] = '\n';
        return out;
    }

    /** Parses one record, with or without its trailing newline; empty when it is not a CRI record. */
    public static Optional<CriLogLine> parse(byte[] line, int from, int to) {
        if (to > from && line[to - 1] == '\n') {
            to--;
        }
        int s1 = indexOf(line, (byte) ' ', from, to);
        if (s1 < 0) {
            return Optional.empty();
        }
        int s2 = indexOf(line, (byte) ' ', s1 + 1, to);
        if (s2 < 0 || s2 + 2 > to || line[s2 + 2 - 1] == ' ') {
            return Optional.empty();
        }
        // Tag and the space after it; the content may be empty.
        byte tag = line[s2 + 1];
        if ((tag != 'P' && tag != 'F') || (s2 + 2 < to && line[s2 + 2] != ' ')) {
            return Optional.empty();
        }
        String stream = new String(line, s1 + 1, s2 - s1 - 1, StandardCharsets.US_ASCII);
        if (!stream.equals(STDOUT) && !stream.equals(STDERR)) {
            return Optional.empty();
        }
        Instant time;
        try {
            time = Instant.parse(new String(line, from, s1 - from, StandardCharsets.US_ASCII));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
        int contentStart = Math.min(s2 + 3, to);
        return Optional.of(new CriLogLine(time, stream, tag == 'P', Arrays.copyOfRange(line, contentStart, to)));
    }

    public static Optional<CriLogLine> parse(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return parse(b, 0, b.length);
    }

    static int indexOf(byte[] b, byte value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CriLogLine l && time.equals(l.time) && stream.equals(l.stream) && partial == l.partial
                && Arrays.equals(content, l.content);
    }

    @Override
    public int hashCode() {
        return (time.hashCode() * 31 + stream.hashCode()) * 31 + Arrays.hashCode(content) + (partial ? 1 : 0);
    }

    @Override
    public String toString() {
        return formatTime(time) + ' ' + stream + ' ' + (partial ? 'P' : 'F') + ' ' + text();
    }
}
