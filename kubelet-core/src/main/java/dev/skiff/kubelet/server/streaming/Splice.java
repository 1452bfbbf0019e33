package dev.skiff.kubelet.server.streaming;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of an upgraded connection: what this channel reads is written to the peer. Reading stops while the
 * peer cannot take more (its buffer is above the high water mark) and resumes when it drains, so a slow side slows
 * the other instead of filling memory. When either side closes, the other is closed once its writes are out.
 */
final class Splice extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Splice.class);
    private final Channel peer;
    private final Runnable onClose;

    /** @param onClose run once, when this side's channel closes */
    Splice(Channel peer, Runnable onClose) {
        this.peer = peer;
        this.onClose = onClose;
    }

    /** Joins two channels (both on the same event loop) in both directions; {@code onClose} runs when the first closes. */
    static void join(Channel a, Channel b, Runnable onClose) {
        Runnable once = new Runnable() {
            private boolean ran;

            @Override
            public void run() {
                if (!ran) {
                    ran = true;
                    onClose.run();
                }
            }
        };
        a.pipeline().addLast("splice", new Splice(b, once));
        b.pipeline().addLast("splice", new Splice(a, once));
        if (!a.isActive() || !b.isActive()) {
            closeAfterWrites(a);
            closeAfterWrites(b);
            once.run();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.write(msg);
        if (!peer.isWritable()) {
            peer.flush();
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeAfterWrites(peer);
        onClose.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("streaming proxy: {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static void closeAfterWrites(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
