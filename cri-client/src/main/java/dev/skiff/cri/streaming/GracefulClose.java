package dev.skiff.cri.streaming;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;

import java.util.concurrent.TimeUnit;

/**
 * Ends a connection after its last frames: half-close first, so a client still sending
 * (stdin) does not get a reset that could discard the output it has not read yet; the socket
 * closes when the client closes its side, or after a few seconds.
 */
final class GracefulClose {
    private static final long LINGER_SECONDS = 5;

    private GracefulClose() {}

    static void after(ChannelFuture lastWrite, ChannelHandlerContext ctx) {
        lastWrite.addListener(f -> {
            if (!f.isSuccess() || !(ctx.channel() instanceof DuplexChannel duplex)) {
                ctx.close();
                return;
            }
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> {
                ctx.close();
            }, LINGER_SECONDS, TimeUnit.SECONDS);
        });
    }
}
