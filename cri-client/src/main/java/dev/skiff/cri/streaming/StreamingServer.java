package dev.skiff.cri.streaming;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.AttachResponse;
import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.ExecResponse;
import dev.skiff.cri.v1.PortForwardRequest;
import dev.skiff.cri.v1.PortForwardResponse;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The CRI streaming server (upstream's k8s.io/kubelet/pkg/cri/streaming): Exec, Attach and
 * PortForward answer with a single-use URL on this server ({@code http://ADDR/exec/TOKEN} ...),
 * and the client then speaks the remote-command or port-forward protocol to it over SPDY/3.1
 * or WebSocket. One NIO event loop group ({@code cri-streaming-io}) carries every connection,
 * including the runtime's own (Docker's socket, sockets into pods); dials into pods, which
 * may block, run on a small bounded pool.
 */
public final class StreamingServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamingServer.class);
    public static final String DEFAULT_ADDRESS = "127.0.0.1:0";
    /** Upstream's DefaultConfig: idle streams close after 4 h; clients have 30 s to create their streams. */
    static final Duration STREAM_IDLE_TIMEOUT = Duration.ofHours(4);
    static final Duration STREAM_CREATION_TIMEOUT = Duration.ofSeconds(30);
    static final String HTTP_CODEC = "http-codec";
    static final String AGGREGATOR = "http-aggregator";
    private static final int IO_THREADS = 2;
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final RequestCache cache;
    private final EventLoopGroup group;
    private final ThreadPoolExecutor dials;
    private final Channel server;
    private final InetSocketAddress address;

    private StreamingServer(EventLoopGroup group, ThreadPoolExecutor dials, StreamingRuntime runtime, InetSocketAddress bind,
                            LongSupplier nanoTime) throws InterruptedException {
        this.cache = new RequestCache(nanoTime);
        this.group = group;
        this.dials = dials;
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, STREAM_IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                                .addLast("idle-close", new IdleClose())
                                .addLast(HTTP_CODEC, new HttpServerCodec())
                                .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast("http", new StreamingHttpHandler(cache, runtime, STREAM_CREATION_TIMEOUT, dials));
                    }
                });
        this.server = b.bind(bind).sync().channel();
        this.address = (InetSocketAddress) server.localAddress();
    }

    /**
     * Binds {@code address} ({@code HOST:PORT}, port 0 for a random one; default
     * {@value #DEFAULT_ADDRESS}). IllegalArgumentException for a malformed address or one that cannot be bound.
     */
    public static StreamingServer start(String address, StreamingRuntime runtime) {
        return start(address, runtime, System::nanoTime);
    }

    /**
     * As {@link #start(String, StreamingRuntime)}, with the clock the tokens' one-minute expiry is measured on
     * ({@link System#nanoTime()} semantics), so a test can expire a token without waiting a minute.
     */
    public static StreamingServer start(String address, StreamingRuntime runtime, LongSupplier nanoTime) {
        InetSocketAddress bind = parseAddress(address == null || address.isBlank() ? DEFAULT_ADDRESS : address);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(IO_THREADS,
                new DefaultThreadFactory("cri-streaming-io", true), NioIoHandler.newFactory());
        ThreadPoolExecutor dials = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
                new DefaultThreadFactory("cri-streaming-dial", true));
        dials.allowCoreThreadTimeOut(true);
        try {
            StreamingServer s = new StreamingServer(group, dials, runtime, bind, nanoTime);
            log.info("CRI streaming server listening on {}", s.baseUrl());
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown(group, dials);
            throw new IllegalStateException("interrupted binding the streaming server to " + address, e);
        } catch (RuntimeException e) {
            shutdown(group, dials);
            throw new IllegalArgumentException("cannot listen for streaming on " + address + ": " + e.getMessage(), e);
        }
    }

    /** {@code HOST:PORT} or {@code [V6]:PORT}. */
    public static InetSocketAddress parseAddress(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("streaming address \"" + address + "\" is not HOST:PORT (e.g. 127.0.0.1:0)");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("streaming address \"" + address + "\" has no numeric port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("streaming address \"" + address + "\": port out of range 0-65535");
        }
        return new InetSocketAddress(host, port);
    }

    public InetSocketAddress address() {
        return address;
    }

    /** {@code http://HOST:PORT} with the bound port (as upstream's baseURL after listening). */
    public String baseUrl() {
        String host = address.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + address.getPort();
    }

    public ExecResponse getExec(ExecRequest req) {
        validate(req.getContainerId(), req.getTty(), req.getStdin(), req.getStdout(), req.getStderr(), "stdin, stdout, or stderr");
        return ExecResponse.newBuilder().setUrl(url("exec", cache.insert(req))).build();
    }

    public AttachResponse getAttach(AttachRequest req) {
        validate(req.getContainerId(), req.getTty(), req.getStdin(), req.getStdout(), req.getStderr(), "stdin, stdout, and stderr");
        return AttachResponse.newBuilder().setUrl(url("attach", cache.insert(req))).build();
    }

    public PortForwardResponse getPortForward(PortForwardRequest req) {
        if (req.getPodSandboxId().isEmpty()) {
            throw CriErrors.invalidArgument("missing required pod_sandbox_id");
        }
        return PortForwardResponse.newBuilder().setUrl(url("portforward", cache.insert(req))).build();
    }

    /** Upstream's validateExecRequest / validateAttachRequest, same texts. */
    private static void validate(String containerId, boolean tty, boolean stdin, boolean stdout, boolean stderr, String streams) {
        if (containerId.isEmpty()) {
            throw CriErrors.invalidArgument("missing required container_id");
        }
        if (tty && stderr) {
            // with a TTY there is one output stream: stderr cannot be told apart
            throw CriErrors.invalidArgument("tty and stderr cannot both be true");
        }
        if (!stdin && !stdout && !stderr) {
            throw CriErrors.invalidArgument("one of %s must be set", streams);
        }
    }

    private String url(String method, String token) {
        return baseUrl() + "/" + method + "/" + token;
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdown(group, dials);
    }

    private static void shutdown(EventLoopGroup group, ThreadPoolExecutor dials) {
        dials.shutdownNow();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Closes a connection with neither reads nor writes for {@link #STREAM_IDLE_TIMEOUT}. */
    private static final class IdleClose extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                log.info("closing streaming connection from {}: idle for {}", ctx.channel().remoteAddress(), STREAM_IDLE_TIMEOUT);
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
