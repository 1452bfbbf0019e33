package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;


/**
 * Exec and attach over WebSocket with Kubernetes' channel protocols: every message starts
 * with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), as a byte in binary
 * messages or an ASCII digit before base64 text for the base64 protocols. v5 adds the close
 * signal, channel 255 with the closed channel as payload, so stdin can end while the session
 * goes on. The session starts at once, with an empty message on the first output channel
 * telling the client the connection is ready (as upstream).
 */
final class WebSocketRemoteCommandHandler extends RemoteCommandHandler {
    static final int CLOSE_SIGNAL = 255;

    private final RemoteCommandProtocol protocol;
    private boolean closing;

    WebSocketRemoteCommandHandler(Object request, RemoteCommandProtocol protocol, StreamingRuntime runtime) {
        super(request, protocol, runtime);
        this.protocol = protocol;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        StreamOptions o = run.options();
        StreamType first = o.stdout() ? StreamType.STDOUT : o.stderr() ? StreamType.STDERR : StreamType.ERROR;
        write(first, Unpooled.EMPTY_BUFFER);
        run.start(runtime, ctx.channel().eventLoop());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof WebSocketFrame frame) {
                onFrame(frame);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onFrame(WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
            return;
        }
        if (frame instanceof CloseWebSocketFrame) {
            run.onStdinClosed();
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)).addListener(f -> ctx.close());
            return;
        }
        WebSocketChannels.Message m = WebSocketChannels.read(frame, protocol.base64);
        if (m == null) {
            return;
        }
        int channel = m.channel();
        ByteBuf payload = m.payload();
        if (channel == CLOSE_SIGNAL && protocol.closeSignal()) {
            if (payload.isReadable() && payload.getUnsignedByte(payload.readerIndex()) == StreamType.STDIN.channel) {
                run.onStdinClosed();
            }
            payload.release();
            return;
        }
        var type = StreamType.ofChannel(channel);
        if (type.isPresent() && type.get() == StreamType.STDIN) {
            if (payload.isReadable()) {
                run.onStdin(payload);
            } else {
                payload.release();
            }
        } else if (type.isPresent() && type.get() == StreamType.RESIZE) {
            run.onResize(payload);
        } else {
            payload.release();
        }
    }

    @Override
    public void write(StreamType type, ByteBuf data) {
        if (closing) {
            data.release();
            return;
        }
        ctx.writeAndFlush(WebSocketChannels.frame(type.channel, data, protocol.base64));
    }

    @Override
    public void finish(byte[] status) {
        if (closing) {
            return;
        }
        if (status.length > 0) {
            write(StreamType.ERROR, Unpooled.wrappedBuffer(status));
        }
        closing = true;
        GracefulClose.after(ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)), ctx);
    }
}
