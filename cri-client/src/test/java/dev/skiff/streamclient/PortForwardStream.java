package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** One forwarded connection: the data stream both ways, and what the server says on its error stream. */
public final class PortForwardStream implements AutoCloseable {
    private final int port;
    private final SpdyStream data;
    private final SpdyStream error;

    PortForwardStream(int port, SpdyStream data, SpdyStream error) {
        this.port = port;
        this.data = data;
        this.error = error;
    }

    public int port() {
        return port;
    }

    /** Bytes from the pod's port, until it closes (the server's FIN). */
    public InputStream input() {
        return data.input();
    }

    /** Bytes to the pod's port; {@code close()} half-closes, as client-go when the local side ends. */
    public OutputStream output() {
        return data.output();
    }

    public void closeWrite() throws IOException {
        data.closeWrite();
    }

    /**
     * Waits for the error stream to end and returns its text: empty when the forward went well,
     * else the server's message (e.g. a refused connection to the port).
     */
    public String awaitError(Duration wait) throws IOException {
        if (!error.awaitEnd(wait)) {
            throw new SocketTimeoutException("the error stream for port " + port + " did not end within " + wait);
        }
        return new String(error.input().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Resets both streams (RST_STREAM CANCEL), as client-go does when a forwarded connection ends. */
    @Override
    public void close() throws IOException {
        data.reset();
        error.reset();
    }
}
