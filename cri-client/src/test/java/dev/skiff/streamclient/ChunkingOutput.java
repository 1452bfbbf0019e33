package dev.skiff.streamclient;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/** The outbound half of one logical stream: writes cut into frames of at most {@link #CHUNK} bytes. */
final class ChunkingOutput extends OutputStream {
    /** Frame payload limit: the peers read any size, smaller frames interleave the streams better. */
    static final int CHUNK = 32 * 1024;

    interface Sink {
        void send(byte[] chunk) throws IOException;

        void close() throws IOException;
    }

    private final String name;
    private final Sink sink;
    private volatile boolean closed;

    ChunkingOutput(String name, Sink sink) {
        this.name = name;
        this.sink = sink;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException(name + " is closed for writing");
        }
        for (int at = off; at < off + len; at += CHUNK) {
            sink.send(Arrays.copyOfRange(b, at, Math.min(off + len, at + CHUNK)));
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        sink.close();
    }
}
