package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.DefaultSpdyWindowUpdateFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;

/**
 * The SPDY/3.1 frames both SPDY handlers send. No flow control is enforced on what we send:
 * Go's spdystream (kubectl, crictl, the kubelet) never sends WINDOW_UPDATE, so a sender that
 * waited for one would stall after 64 KiB; Netty's SpdySessionHandler is therefore not used.
 * We do grant window for what we receive, for clients that honour it.
 */
final class SpdyFrames {
    /** Header names in SPDY/3 are lower case on the wire. */
    static final String STREAM_TYPE = "streamtype";
    static final String PORT = "port";
    static final String REQUEST_ID = "requestid";

    private SpdyFrames() {}

    static String header(SpdySynStreamFrame frame, String name) {
        return frame.headers().getAsString(name);
    }

    /**
     * Accepts a client stream. The reply carries one header: Go's spdystream cannot parse a
     * SYN_REPLY whose header block is empty (what Netty encodes for no headers).
     */
    static void reply(ChannelHandlerContext ctx, int streamId) {
        SpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(streamId);
        reply.headers().set(":status", "200");
        ctx.write(reply);
    }

    static void data(ChannelHandlerContext ctx, int streamId, ByteBuf data) {
        ctx.writeAndFlush(new DefaultSpdyDataFrame(streamId, data));
    }

    static void fin(ChannelHandlerContext ctx, int streamId) {
        DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(streamId, Unpooled.EMPTY_BUFFER);
        fin.setLast(true);
        ctx.write(fin);
    }

    static void reset(ChannelHandlerContext ctx, int streamId) {
        ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(streamId, SpdyStreamStatus.REFUSED_STREAM));
    }

    /** Gives back the window the client used for {@code bytes} of data, on the stream and the session (3.1). */
    static void consumed(ChannelHandlerContext ctx, int streamId, int bytes) {
        if (bytes > 0) {
            ctx.write(new DefaultSpdyWindowUpdateFrame(streamId, bytes));
            ctx.write(new DefaultSpdyWindowUpdateFrame(0, bytes));
        }
    }

    /** Handles PING and GOAWAY; false for any other frame. */
    static boolean control(ChannelHandlerContext ctx, Object frame) {
        if (frame instanceof SpdyPingFrame ping) {
            pong(ctx, ping);
            return true;
        }
        if (frame instanceof SpdyGoAwayFrame) {
            ctx.close();
            return true;
        }
        return false;
    }

    /** A ping from the client (odd id) is echoed; our own we never send. */
    static void pong(ChannelHandlerContext ctx, SpdyPingFrame ping) {
        if ((ping.id() & 1) == 1) {
            ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
        }
    }
}
