package dev.skiff.kubelet.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;

/**
 * A blocking OutputStream over a chunked HTTP response: bytes are buffered and sent as chunks on {@link #flush()} or
 * when the buffer fills; each send first waits (up to the write timeout) until the connection takes more, so a slow
 * reader slows the writer instead of filling memory. Fails with IOException once the client has gone away.
 * {@link #close()} ends the response.
 */
final class ChunkedOutputStream extends OutputStream {
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(60);
    private static final int BUFFER = 16 * 1024;

    private final Channel channel;
    private final Writability writability;
    private final Runnable onEnd;
    private final byte[] buffer = new byte[BUFFER];
    private int used;
    private boolean closed;

    ChunkedOutputStream(Channel channel, Writability writability, Runnable onEnd) {
        this.channel = channel;
        this.writability = writability;
        this.onEnd = onEnd;
    }

    @Override
    public void write(int b) throws IOException {
        open();
        if (used == buffer.length) {
            send();
        }
        buffer[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        open();
        while (len > 0) {
            if (used == buffer.length) {
                send();
            }
            int n = Math.min(len, buffer.length - used);
            System.arraycopy(b, off, buffer, used, n);
            used += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void flush() throws IOException {
        open();
        send();
    }

    private void open() throws IOException {
        if (closed) {
            throw new IOException("response already ended");
        }
    }

    private void send() throws IOException {
        if (used == 0) {
            return;
        }
        writability.await(WRITE_TIMEOUT);
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buffer, 0, used)));
        used = 0;
    }

    /** Sends what is buffered and ends the response (the last, empty chunk). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            send();
        } finally {
            closed = true;
            onEnd.run();
        }
    }

    boolean closed() {
        return closed;
    }
}
