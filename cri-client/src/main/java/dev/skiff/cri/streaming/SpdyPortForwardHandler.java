package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Port-forward over SPDY/3.1 ({@code portforward.k8s.io}): the client opens a pair of streams
 * per connection, {@code error} and {@code data}, with the same {@code requestID} and
 * {@code port} headers. Each pair gets its own socket into the pod's network namespace; bytes
 * are copied both ways on this connection's event loop, end-of-stream is passed on as a
 * half-close, and a failure is written on that pair's error stream only (upstream's text:
 * "error forwarding port N to pod SANDBOX, uid : ...").
 */
final class SpdyPortForwardHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SpdyPortForwardHandler.class);

    private final String podSandboxId;
    private final PodPortDialer dialer;
    private final Executor dialExecutor;
    private final Duration creationTimeout;
    private final Map<String, Pair> pairs = new HashMap<>();
    private final Map<Integer, Pair> byStream = new HashMap<>();
    private ChannelHandlerContext ctx;

    SpdyPortForwardHandler(String podSandboxId, PodPortDialer dialer, Executor dialExecutor, Duration creationTimeout) {
        this.podSandboxId = podSandboxId;
        this.dialer = dialer;
        this.dialExecutor = dialExecutor;
        this.creationTimeout = creationTimeout;
    }

    /** One forwarded connection: its two streams and, once both are open, the connection into the pod. */
    private final class Pair implements PortForwardConnection.ClientSide {
        final String requestId;
        int dataStream;
        int errorStream;
        String portHeader;
        PortForwardConnection connection;
        boolean closed;
        ScheduledFuture<?> timer;

        Pair(String requestId) {
            this.requestId = requestId;
        }

        @Override
        public void data(ByteBuf bytes) {
            SpdyFrames.data(ctx, dataStream, bytes);
        }

        @Override
        public void error(String message) {
            SpdyFrames.data(ctx, errorStream, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
        }

        @Override
        public void end() {
            close(this);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SpdySynStreamFrame syn) {
                onStream(syn);
            } else if (msg instanceof SpdyDataFrame data) {
                onData(data);
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                Pair p = byStream.get(rst.streamId());
                if (p != null) {
                    close(p);
                }
            } else {
                SpdyFrames.control(ctx, msg);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onStream(SpdySynStreamFrame syn) {
        String type = SpdyFrames.header(syn, SpdyFrames.STREAM_TYPE);
        boolean data = "data".equalsIgnoreCase(type);
        if (!data && !"error".equalsIgnoreCase(type)) {
            log.warn("port-forward to pod sandbox {}: refusing stream {} of type {}", podSandboxId, syn.streamId(), type);
            SpdyFrames.reset(ctx, syn.streamId());
            return;
        }
        String requestId = SpdyFrames.header(syn, SpdyFrames.REQUEST_ID);
        if (requestId == null || requestId.isEmpty()) {
            // clients before requestID: the error stream was opened just before its data stream (upstream's fallback)
            requestId = Integer.toString(data ? syn.streamId() - 2 : syn.streamId());
        }
        Pair p = pairs.computeIfAbsent(requestId, Pair::new);
        if ((data ? p.dataStream : p.errorStream) != 0) {
            SpdyFrames.reset(ctx, syn.streamId());
            return;
        }
        if (data) {
            p.dataStream = syn.streamId();
            p.portHeader = SpdyFrames.header(syn, SpdyFrames.PORT);
        } else {
            p.errorStream = syn.streamId();
        }
        byStream.put(syn.streamId(), p);
        SpdyFrames.reply(ctx, syn.streamId());
        ctx.flush();
        if (p.dataStream != 0 && p.errorStream != 0) {
            if (p.timer != null) {
                p.timer.cancel(false);
            }
            connect(p);
        } else if (p.timer == null) {
            p.timer = ctx.executor().schedule(() -> {
                if (!p.closed && (p.dataStream == 0 || p.errorStream == 0)) {
                    fail(p, "timed out waiting for both data and error streams for request " + p.requestId);
                }
            }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void connect(Pair p) {
        int port;
        try {
            port = Integer.parseInt(p.portHeader == null ? "" : p.portHeader.trim());
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            fail(p, String.format("error forwarding port %s to pod %s, uid : invalid port %s (want 1 to 65535)",
                    p.portHeader, podSandboxId, p.portHeader));
            return;
        }
        p.connection = new PortForwardConnection(podSandboxId, port, ctx.channel(), p);
        p.connection.start(dialer, dialExecutor);
    }

    private void onData(SpdyDataFrame frame) {
        Pair p = byStream.get(frame.streamId());
        SpdyFrames.consumed(ctx, frame.streamId(), frame.content().readableBytes());
        ctx.flush();
        if (p == null || p.closed || p.connection == null || frame.streamId() != p.dataStream) {
            return;
        }
        if (frame.content().isReadable()) {
            p.connection.fromClient(frame.content().retain());
        }
        if (frame.isLast()) {
            p.connection.clientDone();
        }
    }

    private void fail(Pair p, String message) {
        if (p.closed) {
            return;
        }
        log.warn("port-forward to pod sandbox {} (request {}): {}", podSandboxId, p.requestId, message);
        if (p.errorStream != 0 && ctx.channel().isActive()) {
            SpdyFrames.data(ctx, p.errorStream, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
        }
        close(p);
    }

    /** Ends both streams of the pair and closes its socket. */
    private void close(Pair p) {
        if (p.closed) {
            return;
        }
        p.closed = true;
        if (p.timer != null) {
            p.timer.cancel(false);
        }
        if (p.connection != null) {
            p.connection.close();
        }
        if (ctx.channel().isActive()) {
            if (p.dataStream != 0) {
                SpdyFrames.fin(ctx, p.dataStream);
            }
            if (p.errorStream != 0) {
                SpdyFrames.fin(ctx, p.errorStream);
            }
            ctx.flush();
        }
        pairs.remove(p.requestId);
        byStream.remove(p.dataStream);
        byStream.remove(p.errorStream);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (Pair p : new ArrayList<>(pairs.values())) {
            close(p);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("port-forward connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

}
