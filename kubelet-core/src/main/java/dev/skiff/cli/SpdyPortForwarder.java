package dev.skiff.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff port-forward}'s connection: one SPDY/3.1 session with the kubelet's {@code /portForward}
 * ({@code portforward.k8s.io}, as kubectl before 1.31), and for each local connection a pair of streams as kubectl
 * opens them: an error stream (closed at once from our side) and a data stream, both with headers {@code streamType},
 * {@code port} and {@code requestID}. Local sockets and the session share one event loop; a side that cannot take
 * more stops the other from reading.
 */
final class SpdyPortForwarder implements AutoCloseable {
    static final String PROTOCOL = "portforward.k8s.io";
    private final EventLoopGroup loop = StreamingCommands.eventLoop("skiff-port-forward-io");
    private final PrintWriter out;
    private final PrintWriter err;
    private final Map<Integer, Forward> byStream = new HashMap<>();
    private Channel session;
    private int nextStreamId = 1;
    private int nextRequestId;

    SpdyPortForwarder(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    /** Upgrades a connection to the kubelet's {@code path} to SPDY; throws why not. */
    void open(KubeletConnection kubelet, String path) throws IOException, InterruptedException {
        session = kubelet.upgrade(loop, new Upgrade(kubelet, path));
    }

    /** Listens on {@code address}:{@code mapping.local()}; the bound port (the free one chosen for 0). */
    int listen(String address, PortMapping mapping) throws IOException {
        ChannelFuture bound = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Local(mapping, ((InetSocketAddress) ch.localAddress()).getPort()));
                    }
                })
                .bind(address, mapping.local()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("unable to listen on " + address + ":" + mapping.local() + ": " + bound.cause().getMessage());
        }
        session.closeFuture().addListener(f -> bound.channel().close());
        return ((InetSocketAddress) bound.channel().localAddress()).getPort();
    }

    /** Blocks until the kubelet ends the session. */
    void awaitEnd() throws InterruptedException {
        session.closeFuture().await();
    }

    @Override
    public void close() {
        if (session != null) {
            session.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** The HTTP upgrade to SPDY/3.1, then the SPDY codec and session handler in place of HTTP. */
    private final class Upgrade extends UpgradeHandler {
        private final KubeletConnection kubelet;
        private final String path;

        Upgrade(KubeletConnection kubelet, String path) {
            this.kubelet = kubelet;
            this.path = path;
        }

        @Override
        void sendUpgrade(ChannelHandlerContext ctx) {
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path);
            req.headers().set("Host", kubelet.host() + ":" + kubelet.port())
                    .set("Authorization", "Bearer " + kubelet.token())
                    .set("Connection", "Upgrade").set("Upgrade", "SPDY/3.1")
                    .set("X-Stream-Protocol-Version", PROTOCOL).set("Content-Length", "0");
            ctx.writeAndFlush(req);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpResponse res)) {
                ctx.fireChannelRead(msg); // SPDY bytes that came with the 101: the codec ahead takes them
                return;
            }
            try {
                if (!switched(ctx, res)) {
                    return;
                }
                String chosen = res.headers().get("X-Stream-Protocol-Version", "");
                if (!PROTOCOL.equals(chosen)) {
                    done.tryFailure(new IOException("the kubelet did not agree on " + PROTOCOL + " (it chose \"" + chosen + "\")"));
                    ctx.close();
                    return;
                }
            } finally {
                res.release();
            }
            ctx.pipeline().addBefore("upgrade", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1))
                    .addBefore("upgrade", "spdy-session", new SpdySessionHandler(SpdyVersion.SPDY_3_1, false))
                    .addBefore("upgrade", "streams", new Streams());
            ctx.pipeline().remove("aggregator");
            ctx.pipeline().remove("http"); // bytes it still holds go on to the SPDY codec
            ctx.pipeline().remove(this);
            done.trySuccess();
        }
    }

    /** One local connection and its two streams. */
    private final class Forward {
        final PortMapping mapping;
        final int localPort;
        final Channel local;
        final int errorStream;
        final int dataStream;
        final StringBuilder error = new StringBuilder();

        Forward(PortMapping mapping, int localPort, Channel local) {
            this.mapping = mapping;
            this.localPort = localPort;
            this.local = local;
            this.errorStream = nextStreamId;
            this.dataStream = nextStreamId + 2;
            nextStreamId += 4;
            String requestId = Integer.toString(nextRequestId++);
            session.write(syn(errorStream, "error", requestId));
            session.write(new DefaultSpdyDataFrame(errorStream).setLast(true)); // we never write to it
            session.writeAndFlush(syn(dataStream, "data", requestId));
            byStream.put(errorStream, this);
            byStream.put(dataStream, this);
        }

        private SpdySynStreamFrame syn(int id, String type, String requestId) {
            SpdySynStreamFrame f = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
            f.headers().set("streamtype", type).set("port", Integer.toString(mapping.remote())).set("requestid", requestId);
            return f;
        }

        void fromRemote(SpdyDataFrame f) {
            if (f.streamId() == errorStream) {
                error.append(f.content().toString(StandardCharsets.UTF_8));
                boolean last = f.isLast();
                f.release();
                if (last) {
                    errorEnded();
                }
                return;
            }
            boolean last = f.isLast();
            if (f.content().isReadable()) {
                local.writeAndFlush(f.content());
                if (!local.isWritable()) {
                    session.config().setAutoRead(false);
                }
            } else {
                f.release();
            }
            if (last) {
                dataEnded();
            }
        }

        /** The remote side of the data stream is done: the local connection closes once what it has is written. */
        void dataEnded() {
            byStream.remove(dataStream);
            local.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        /** The error stream ended (it may come after the data stream): what it said is the user's to see. */
        void errorEnded() {
            byStream.remove(errorStream);
            if (!error.isEmpty()) {
                err.println("an error occurred forwarding " + localPort + " -> " + mapping.remote() + ": " + error.toString().strip());
                err.flush();
                dataEnded();
            }
        }

        void reset(int streamId) {
            if (streamId == errorStream) {
                errorEnded();
            } else {
                dataEnded();
            }
        }
    }

    /** The session's inbound streams, sent to their local connections. */
    private final class Streams extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof SpdyDataFrame f) {
                Forward fw = byStream.get(f.streamId());
                if (fw == null) {
                    f.release();
                } else {
                    fw.fromRemote(f);
                }
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                Forward fw = byStream.get(rst.streamId());
                if (fw != null) {
                    fw.reset(rst.streamId());
                }
            } else if (msg instanceof SpdyGoAwayFrame) {
                ctx.close();
            } else {
                io.netty.util.ReferenceCountUtil.release(msg); // SYN_REPLY, SETTINGS, headers: nothing to do
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().isWritable()) {
                byStream.values().forEach(fw -> fw.local.config().setAutoRead(true));
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            for (Forward fw : byStream.values().toArray(new Forward[0])) {
                fw.local.close();
            }
            byStream.clear();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            err.println("skiff port-forward: " + cause.getMessage());
            err.flush();
            ctx.close();
        }
    }

    /** A local connection: each is forwarded on a new pair of streams. */
    private final class Local extends ChannelInboundHandlerAdapter {
        private final PortMapping mapping;
        private final int localPort;
        private Forward forward;

        Local(PortMapping mapping, int localPort) {
            this.mapping = mapping;
            this.localPort = localPort;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (!session.isActive()) {
                ctx.close();
                return;
            }
            out.println("Handling connection for " + localPort);
            out.flush();
            forward = new Forward(mapping, localPort, ctx.channel());
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            session.writeAndFlush(new DefaultSpdyDataFrame(forward.dataStream, (ByteBuf) msg));
            if (!session.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent && byStream.containsKey(forward.dataStream)) {
                session.writeAndFlush(new DefaultSpdyDataFrame(forward.dataStream).setLast(true));
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().isWritable()) {
                session.config().setAutoRead(true);
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (forward != null && byStream.containsKey(forward.dataStream)) {
                // the local side went away first: end the data stream so the kubelet closes its connection to the pod
                // (the error stream stays until the kubelet closes it: it may still say what went wrong)
                session.writeAndFlush(new DefaultSpdyRstStreamFrame(forward.dataStream, SpdyStreamStatus.CANCEL));
                byStream.remove(forward.dataStream);
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
