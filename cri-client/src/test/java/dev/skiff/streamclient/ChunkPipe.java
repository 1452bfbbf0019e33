package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The inbound half of one logical stream: the connection's reader thread delivers chunks, the
 * test reads them. Unbounded, so the reader thread never waits on a slow consumer (a test client
 * reads what it asked for); each blocking read waits at most the session's timeout.
 */
final class ChunkPipe {
    private final String name;
    private final Duration readTimeout;
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private byte[] current;
    private int pos;
    private boolean ended;
    private IOException failure;

    ChunkPipe(String name, Duration readTimeout) {
        this.name = name;
        this.readTimeout = readTimeout;
    }

    synchronized void deliver(byte[] data) {
        if (!ended && data.length > 0) {
            chunks.add(data);
            notifyAll();
        }
    }

    /** The sender finished: readers get what is buffered, then end of stream. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** The stream broke: readers get what is buffered, then {@code e}. */
    synchronized void fail(IOException e) {
        if (!ended) {
            ended = true;
            failure = e;
        }
        notifyAll();
    }

    /** Waits until the sender ended the stream (buffered data stays readable). */
    synchronized boolean awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ended) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        long deadline = System.nanoTime() + readTimeout.toNanos();
        while (current == null || pos == current.length) {
            current = chunks.poll();
            pos = 0;
            if (current != null) {
                break;
            }
            if (ended) {
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                return -1;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException(name + ": nothing received within " + readTimeout);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(name + ": interrupted while reading", e);
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    InputStream input() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = ChunkPipe.this.read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ChunkPipe.this.read(b, off, len);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
