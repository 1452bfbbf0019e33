package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Exec and attach over SPDY/3.1: the client opens one stream per {@code streamType} (error,
 * stdin, stdout, stderr, resize); once the ones the request needs are there the session
 * starts. Output goes out as DATA frames, the result on the error stream, then every stream is
 * ended and the connection closed.
 */
final class SpdyRemoteCommandHandler extends RemoteCommandHandler {
    private static final Logger log = LoggerFactory.getLogger(SpdyRemoteCommandHandler.class);

    private final Duration creationTimeout;
    private final Map<Integer, StreamType> types = new HashMap<>();
    private final EnumMap<StreamType, Integer> ids = new EnumMap<>(StreamType.class);
    private final List<ByteBuf> earlyStdin = new ArrayList<>();
    private boolean earlyStdinClosed;
    private ScheduledFuture<?> creationTimer;
    private boolean closing;

    SpdyRemoteCommandHandler(Object request, RemoteCommandProtocol protocol, StreamingRuntime runtime, Duration creationTimeout) {
        super(request, protocol, runtime);
        this.creationTimeout = creationTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        creationTimer = ctx.executor().schedule(() -> {
            if (!run.started()) {
                log.warn("client did not create the streams within {}s: closing {}", creationTimeout.toSeconds(), ctx.channel().remoteAddress());
                ctx.close();
            }
        }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SpdySynStreamFrame syn) {
                onStream(syn);
            } else if (msg instanceof SpdyDataFrame data) {
                onData(data);
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                if (types.get(rst.streamId()) == StreamType.STDIN) {
                    stdinClosed();
                }
            } else {
                SpdyFrames.control(ctx, msg);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onStream(SpdySynStreamFrame syn) {
        var type = StreamType.ofHeader(SpdyFrames.header(syn, SpdyFrames.STREAM_TYPE));
        if (type.isEmpty() || ids.containsKey(type.get())) {
            log.warn("refusing SPDY stream {} of type {}", syn.streamId(), SpdyFrames.header(syn, SpdyFrames.STREAM_TYPE));
            SpdyFrames.reset(ctx, syn.streamId());
            return;
        }
        types.put(syn.streamId(), type.get());
        ids.put(type.get(), syn.streamId());
        SpdyFrames.reply(ctx, syn.streamId());
        ctx.flush();
        if (syn.isLast() && type.get() == StreamType.STDIN) {
            stdinClosed();
        }
        if (!run.started() && allExpectedOpen()) {
            creationTimer.cancel(false);
            run.start(runtime, ctx.channel().eventLoop());
            earlyStdin.forEach(run::onStdin);
            earlyStdin.clear();
            if (earlyStdinClosed) {
                run.onStdinClosed();
            }
        }
    }

    private boolean allExpectedOpen() {
        for (StreamType t : StreamType.values()) {
            if (run.options().expects(t) && !ids.containsKey(t)) {
                return false;
            }
        }
        return true;
    }

    private void onData(SpdyDataFrame data) {
        StreamType type = types.get(data.streamId());
        SpdyFrames.consumed(ctx, data.streamId(), data.content().readableBytes());
        ctx.flush();
        if (type == StreamType.STDIN) {
            if (data.content().isReadable()) {
                ByteBuf bytes = data.content().retain();
                if (run.started()) {
                    run.onStdin(bytes);
                } else {
                    earlyStdin.add(bytes);
                }
            }
            if (data.isLast()) {
                stdinClosed();
            }
        } else if (type == StreamType.RESIZE) {
            run.onResize(data.content().retain());
        }
    }

    private void stdinClosed() {
        if (run.started()) {
            run.onStdinClosed();
        } else {
            earlyStdinClosed = true;
        }
    }

    @Override
    public void write(StreamType type, ByteBuf data) {
        Integer id = ids.get(type);
        if (id == null || closing) {
            data.release();
            return;
        }
        SpdyFrames.data(ctx, id, data);
    }

    @Override
    public void finish(byte[] status) {
        if (closing) {
            return;
        }
        closing = true;
        Integer error = ids.get(StreamType.ERROR);
        if (error != null && status.length > 0) {
            ctx.write(new DefaultSpdyDataFrame(error, Unpooled.wrappedBuffer(status)));
        }
        for (StreamType t : new StreamType[] {StreamType.STDOUT, StreamType.STDERR, StreamType.ERROR}) {
            Integer id = ids.get(t);
            if (id != null) {
                SpdyFrames.fin(ctx, id);
            }
        }
        int lastClientStream = types.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        GracefulClose.after(ctx.writeAndFlush(new DefaultSpdyGoAwayFrame(lastClientStream)), ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        creationTimer.cancel(false);
        earlyStdin.forEach(ByteBuf::release);
        earlyStdin.clear();
        super.channelInactive(ctx);
    }
}
