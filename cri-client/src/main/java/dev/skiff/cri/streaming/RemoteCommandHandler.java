package dev.skiff.cri.streaming;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the SPDY and WebSocket remote-command handlers share: the run they carry, backpressure
 * from the client's channel, and a client that leaves or fails cancelling the run.
 */
abstract class RemoteCommandHandler extends ChannelInboundHandlerAdapter implements RemoteCommandTransport {
    private static final Logger log = LoggerFactory.getLogger(RemoteCommandHandler.class);

    protected final RemoteCommandRun run;
    protected final StreamingRuntime runtime;
    protected ChannelHandlerContext ctx;
    private WritabilityWaiters waiters;

    RemoteCommandHandler(Object request, RemoteCommandProtocol protocol, StreamingRuntime runtime) {
        this.run = new RemoteCommandRun(request, protocol, this);
        this.runtime = runtime;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.waiters = new WritabilityWaiters(ctx.channel());
    }

    @Override
    public boolean writable() {
        return waiters.writable();
    }

    @Override
    public void whenWritable(Runnable task) {
        waiters.add(task);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        waiters.changed();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        run.onClientGone();
        waiters.changed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("streaming connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
