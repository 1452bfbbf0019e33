package dev.skiff.kubelet.server;

import io.netty.channel.Channel;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Lets a handler thread wait until its connection takes more bytes: the channel handler signals on every change of
 * writability and when the connection closes.
 */
final class Writability {
    private final Channel channel;

    Writability(Channel channel) {
        this.channel = channel;
    }

    synchronized void signal() {
        notifyAll();
    }

    /** Returns once the channel is writable; IOException when the client went away or did not read for {@code timeout}. */
    synchronized void await(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!channel.isActive()) {
                throw new IOException("client closed the connection");
            }
            if (channel.isWritable()) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("client read nothing for " + timeout.toSeconds() + "s");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the client to read", e);
            }
        }
    }
}
