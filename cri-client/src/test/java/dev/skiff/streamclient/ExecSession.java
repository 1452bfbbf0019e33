package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * One exec or attach session. Streams not asked for in the {@link StreamOptions} throw
 * {@link IllegalStateException}. Inputs end when the server ends the stream or the connection.
 */
public interface ExecSession extends AutoCloseable {
    /** The negotiated protocol, e.g. {@code v4.channel.k8s.io}. */
    String protocol();

    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /** Sends a terminal size, as kubectl does on start and on SIGWINCH (TTY sessions only). */
    void resize(int width, int height) throws IOException;

    /** Ends stdin (SPDY: DATA with FIN; WebSocket v5: the close signal; v4 has none and refuses). */
    void closeStdin() throws IOException;

    /** Waits for the error stream to end and returns what it said. */
    ExecStatus awaitStatus(Duration timeout) throws IOException;

    /** stdout and stderr read to their end, then the status. */
    default ExecResult collect(Duration timeout) throws IOException {
        byte[] out = stdout().readAllBytes();
        byte[] err = hasStderr() ? stderr().readAllBytes() : new byte[0];
        return new ExecResult(out, err, awaitStatus(timeout));
    }

    boolean hasStderr();

    /** Ends the session (the connection) without waiting. */
    @Override
    void close();
}
