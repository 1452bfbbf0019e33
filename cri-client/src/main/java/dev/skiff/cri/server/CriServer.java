package dev.skiff.cri.server;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a {@link RuntimeService} and an {@link ImageService} as CRI v1 on one Unix socket,
 * the way crictl and the kubelet expect a CRI endpoint ({@code unix:///path}).
 *
 * <p>The socket is served by Netty's epoll domain-socket transport; calls run on a named
 * cached pool (a call may block as long as the runtime works, e.g. PullImage).
 */
public final class CriServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CriServer.class);
    /** What the kubelet allows for CRI messages (ListContainers on a busy node is large). */
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    /** sun_path is 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 107;
    /** CRI traffic is a few calls a second from one kubelet: a couple of I/O threads are plenty. */
    private static final int WORKER_THREADS = 2;
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration FORCED = Duration.ofSeconds(2);

    private final Path socket;
    private final Server server;
    private final EventStreams events;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService calls;
    private boolean closed;

    private CriServer(Path socket, Server server, EventStreams events, EventLoopGroup boss,
                      EventLoopGroup workers, ExecutorService calls) {
        this.socket = socket;
        this.server = server;
        this.events = events;
        this.boss = boss;
        this.workers = workers;
        this.calls = calls;
    }

    /**
     * Binds {@code socket} (a stale file there is removed first, parent directories are
     * created; the socket gets mode 0660 as containerd's does) and starts serving.
     */
    public static CriServer start(Path socket, RuntimeService runtime, ImageService images) {
        Path path = socket.toAbsolutePath().normalize();
        if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("socket path is longer than " + MAX_SOCKET_PATH_BYTES + " bytes: " + path);
        }
        Epoll.ensureAvailability();
        prepare(path);
        EventStreams events = new EventStreams();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cri-server-boss", true),
                EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(WORKER_THREADS, new DefaultThreadFactory("cri-server-worker", true),
                EpollIoHandler.newFactory());
        ExecutorService calls = Executors.newCachedThreadPool(named("cri-server-call-"));
        try {
            Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(boss)
                    .workerEventLoopGroup(workers)
                    .executor(calls)
                    .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                    .addService(new RuntimeServiceAdapter(runtime, events))
                    .addService(new ImageServiceAdapter(images))
                    .build()
                    .start();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            log.info("CRI server listening on unix://{}", path);
            return new CriServer(path, server, events, boss, workers, calls);
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            calls.shutdownNow();
            deleteSocket(path);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot serve CRI on unix://" + path + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    public Path socket() {
        return socket;
    }

    /** Open GetContainerEvents streams (for tests and diagnostics). */
    int openEventStreams() {
        return events.size();
    }

    /** Waits until the server has terminated (after {@link #close()}); true if it did in time. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops accepting calls, ends open event streams with UNAVAILABLE, lets running calls
     * finish for a few seconds, then cancels the rest; removes the socket file. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        server.shutdown();
        events.endAll(Status.UNAVAILABLE.withDescription("CRI server on unix://" + socket + " is shutting down"));
        try {
            if (!server.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("CRI server on unix://{}: calls still running after {} s, cancelling them",
                        socket, GRACE.toSeconds());
                server.shutdownNow();
                server.awaitTermination(FORCED.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            boss.shutdownGracefully(0, FORCED.toSeconds(), TimeUnit.SECONDS).awaitUninterruptibly(FORCED.toMillis());
            workers.shutdownGracefully(0, FORCED.toSeconds(), TimeUnit.SECONDS).awaitUninterruptibly(FORCED.toMillis());
            calls.shutdownNow();
            deleteSocket(socket);
            log.info("CRI server on unix://{} stopped", socket);
        }
    }

    private static void prepare(Path path) {
        try {
            Files.createDirectories(path.getParent());
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("socket path is a directory: " + path);
            }
            if (Files.deleteIfExists(path)) {
                log.info("removed stale socket file {}", path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare socket path " + path + ": " + e.getMessage(), e);
        }
    }

    private static void deleteSocket(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove socket file {}: {}", path, e.getMessage());
        }
    }

    private static ThreadFactory named(String prefix) {
        ThreadFactory base = Executors.defaultThreadFactory();
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = base.newThread(r);
            t.setName(prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
