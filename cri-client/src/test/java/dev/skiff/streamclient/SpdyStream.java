package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One client-initiated SPDY stream: DATA frames in (until FIN, RST_STREAM or the connection's
 * end) and out (until this side's FIN). Data the server sends before its SYN_REPLY is a protocol
 * error here: spdystream, the library of kubectl and crictl, would silently drop it.
 */
final class SpdyStream {
    private final SpdyConnection connection;
    private final int id;
    private final String name;
    private final ChunkPipe inbound;
    private final CountDownLatch replied = new CountDownLatch(1);
    private volatile boolean gotReply;
    private volatile Integer resetStatus;
    private volatile boolean localFin;
    private final OutputStream output;

    SpdyStream(SpdyConnection connection, int id, String name, Duration timeout) {
        this.connection = connection;
        this.id = id;
        this.name = name;
        this.inbound = new ChunkPipe(name, timeout);
        this.output = new ChunkingOutput(name, new ChunkingOutput.Sink() {
            @Override
            public void send(byte[] chunk) throws IOException {
                if (localFin) {
                    throw new IOException(SpdyStream.this.name + " is closed for writing");
                }
                connection.send(new SpdyFrame.Data(id, false, chunk));
            }

            @Override
            public void close() throws IOException {
                closeWrite();
            }
        });
    }

    int id() {
        return id;
    }

    String name() {
        return name;
    }

    void onReply(boolean fin) {
        gotReply = true;
        replied.countDown();
        if (fin) {
            inbound.end();
        }
    }

    void onData(byte[] data, boolean fin) {
        if (!gotReply) {
            inbound.fail(new ProtocolException(name + ": DATA before SYN_REPLY (spdystream, kubectl's library, drops such data)"));
            return;
        }
        inbound.deliver(data);
        if (fin) {
            inbound.end();
        }
    }

    /**
     * RST_STREAM ends the stream as EOF, as in spdystream: upstream's server resets every stream
     * when it closes a session, right after writing the status. {@link #resetStatus()} tells.
     */
    void onReset(int status) {
        resetStatus = status;
        replied.countDown();
        inbound.end();
    }

    void onConnectionEnd(IOException failure) {
        replied.countDown();
        if (failure == null) {
            inbound.end();
        } else {
            inbound.fail(failure);
        }
    }

    void awaitReply(Duration timeout) throws IOException {
        try {
            if (!replied.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SocketTimeoutException("no SYN_REPLY for " + name + " within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the SYN_REPLY of " + name, e);
        }
        if (resetStatus != null) {
            throw new IOException("the server refused " + name + " with RST_STREAM status " + resetStatus);
        }
        if (!gotReply) {
            throw new IOException("the connection ended before the SYN_REPLY of " + name, connection.failure());
        }
    }

    InputStream input() {
        return inbound.input();
    }

    /** Waits until the server ended this stream; what it sent stays readable. */
    boolean awaitEnd(Duration timeout) throws IOException {
        try {
            return inbound.awaitEnd(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the end of " + name, e);
        }
    }

    Integer resetStatus() {
        return resetStatus;
    }

    OutputStream output() {
        return output;
    }

    /** Half-closes: an empty DATA frame with FIN, as spdystream's Stream.Close. */
    synchronized void closeWrite() throws IOException {
        if (!localFin) {
            localFin = true;
            connection.send(new SpdyFrame.Data(id, true, new byte[0]));
        }
    }

    /** RST_STREAM CANCEL, as client-go's RemoveStreams after a port-forward connection. */
    void reset() throws IOException {
        localFin = true;
        inbound.end();
        connection.send(new SpdyFrame.RstStream(id, SpdyFrame.CANCEL));
    }
}
