package dev.skiff.cli;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The client side of an upgrade to the kubelet (WebSocket or SPDY): once TLS is up it sends the upgrade request, and
 * {@link #done} says how the upgrade went: the kubelet's refusal as kubectl words it ({@code unable to upgrade
 * connection: pod does not exist}), a TLS failure, a connection closed early.
 */
abstract class UpgradeHandler extends ChannelInboundHandlerAdapter {
    ChannelPromise done;

    /** Sends the upgrade request (TLS is up). */
    abstract void sendUpgrade(ChannelHandlerContext ctx);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        done = ctx.newPromise();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent tls) {
            if (tls.isSuccess()) {
                sendUpgrade(ctx);
            } else {
                done.tryFailure(new IOException("TLS with the kubelet failed: " + tls.cause().getMessage()));
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    /** Fails the upgrade with the kubelet's answer when it is not a 101 (and closes); false then. */
    boolean switched(ChannelHandlerContext ctx, FullHttpResponse res) {
        if (res.status().code() == 101) {
            return true;
        }
        String body = res.content().toString(StandardCharsets.UTF_8).strip();
        done.tryFailure(new IOException("unable to upgrade connection: "
                + (body.isEmpty() ? res.status().toString() : body) + " (HTTP " + res.status().code() + ")"));
        ctx.close();
        return false;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        done.tryFailure(new IOException("the kubelet closed the connection before the upgrade"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        done.tryFailure(new IOException(root.getMessage(), root));
        ctx.close();
    }
}
