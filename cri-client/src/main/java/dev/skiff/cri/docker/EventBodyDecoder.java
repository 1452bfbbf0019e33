package dev.skiff.cri.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns the bytes of Docker's {@code /events} response into its JSON lines: the HTTP head (status 200 required),
 * then a chunked (or plain) body whose events end each in a newline, whatever the chunk and read boundaries.
 */
final class EventBodyDecoder {
    /** A line or head longer than this is no Docker event. */
    static final int MAX_LINE = 1 << 20;

    private enum State { HEAD, SIZE, DATA, DATA_END, PLAIN, DONE }

    private State state = State.HEAD;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long chunkLeft;

    /** Feeds what was read; returns the JSON lines it completed. IOException on a refusal or a malformed stream. */
    List<String> feed(ByteBuffer in) throws IOException {
        List<String> out = new ArrayList<>();
        while (in.hasRemaining()) {
            switch (state) {
                case HEAD -> {
                    String head = readUntil(in, "\r\n\r\n");
                    if (head != null) {
                        startBody(head);
                    }
                }
                case SIZE -> {
                    String size = readUntil(in, "\r\n");
                    if (size != null) {
                        int semi = size.indexOf(';');
                        try {
                            chunkLeft = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                        } catch (NumberFormatException e) {
                            throw new IOException("malformed chunk size in Docker's event stream");
                        }
                        state = chunkLeft == 0 ? State.DONE : State.DATA;
                    }
                }
                case DATA -> {
                    while (in.hasRemaining() && chunkLeft > 0) {
                        body(in.get(), out);
                        chunkLeft--;
                    }
                    if (chunkLeft == 0) {
                        state = State.DATA_END;
                    }
                }
                case DATA_END -> {
                    if (readUntil(in, "\r\n") != null) {
                        state = State.SIZE;
                    }
                }
                case PLAIN -> body(in.get(), out);
                case DONE -> in.position(in.limit());
            }
        }
        return out;
    }

    /** Whether Docker ended the body (the stream is over). */
    boolean done() {
        return state == State.DONE;
    }

    private void startBody(String head) throws IOException {
        String[] status = head.split("\r\n", 2)[0].split(" ", 3);
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (RuntimeException e) {
            throw new IOException("Docker answered the event request with no HTTP status line");
        }
        if (code != 200) {
            throw new IOException("Docker refused the event stream: HTTP " + code);
        }
        state = head.toLowerCase(Locale.ROOT).contains("\r\ntransfer-encoding: chunked") ? State.SIZE : State.PLAIN;
    }

    private void body(byte b, List<String> out) throws IOException {
        if (b == '\n') {
            String s = line.toString(StandardCharsets.UTF_8).trim();
            line.reset();
            if (!s.isEmpty()) {
                out.add(s);
            }
            return;
        }
        if (line.size() >= MAX_LINE) {
            throw new IOException("Docker event longer than " + MAX_LINE + " bytes");
        }
        line.write(b);
    }

    /** Collects bytes up to and including the delimiter; returns the text before it, or null when not there yet. */
    private String readUntil(ByteBuffer in, String delimiter) throws IOException {
        byte last = (byte) delimiter.charAt(delimiter.length() - 1);
        while (in.hasRemaining()) {
            byte b = in.get();
            pending.write(b);
            if (pending.size() > MAX_LINE) {
                throw new IOException("Docker's event stream head or chunk line exceeds " + MAX_LINE + " bytes");
            }
            if (b == last && pending.size() >= delimiter.length()) {
                String s = pending.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith(delimiter)) {
                    pending.reset();
                    return s.substring(0, s.length() - delimiter.length());
                }
            }
        }
        return null;
    }
}
