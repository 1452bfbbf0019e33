package dev.skiff.kubelet.server;

import dev.skiff.kubelet.worker.ElasticPool;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of the kubelet's HTTP servers, shared by all of them: one Netty event loop ({@code kubelet-http-io-0})
 * that accepts, reads, decodes and writes, and up to {@link #MAX_HANDLERS} handler threads ({@code kubelet-http-N})
 * that exist only while requests are being answered (handlers may block: JSON building, file reads, log streams).
 */
public final class HttpThreads implements AutoCloseable {
    /** Handlers running at once, more wait in line: a follow stream holds one for its whole length, so the cap leaves
     * room for many followers beside health checks and scrapes. */
    static final int MAX_HANDLERS = 64;
    private static final Duration IDLE = Duration.ofSeconds(30);

    final EventLoopGroup loop;
    final ThreadPoolExecutor handlers;

    public HttpThreads() {
        AtomicInteger n = new AtomicInteger();
        this.loop = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new FastThreadLocalThread(r, "kubelet-http-io-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        }, NioIoHandler.newFactory());
        this.handlers = ElasticPool.create("kubelet-http-", MAX_HANDLERS, IDLE);
    }

    /** Stops the handler threads (waiting up to {@code timeout} for them) and the event loop. */
    public boolean close(Duration timeout) {
        handlers.shutdown();
        boolean done;
        try {
            done = handlers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        if (!done) {
            handlers.shutdownNow();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        return done;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(1));
    }
}
