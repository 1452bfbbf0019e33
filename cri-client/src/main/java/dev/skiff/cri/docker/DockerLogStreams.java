package dev.skiff.cri.docker;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Docker API responses read without a thread per stream (the log copiers' followed logs and their state checks):
 * every stream is a connection of its own on one shared Netty event loop ({@code log-copier-io}), started when the
 * first stream opens. The loop only moves bytes into each stream's {@link Sink}; what to do when a stream ends is
 * the caller's business.
 */
final class DockerLogStreams implements AutoCloseable {
    /** An error answer's body is read this far, for the message. */
    private static final int MAX_ERROR_BODY = 4096;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    /** Receives one stream's body and its end; called on the event loop, one call at a time per stream. */
    interface Sink {
        void body(byte[] bytes, int offset, int length) throws IOException;

        /**
         * The stream is over: {@code status} is the HTTP status (0 when none arrived); {@code clean} when the response
         * ended as HTTP says (not cut, not refused); {@code error} says what went wrong otherwise (else null).
         */
        void end(int status, boolean clean, String error);
    }

    /** An open stream; closing it ends the connection (its sink then hears of the end unless it already has). */
    interface Stream {
        void close();
    }

    private final SocketAddress address;
    private final boolean unix;
    private final String hostHeader;
    private final EventLoopGroup loop;

    /** @param dockerHost {@code unix:///path} or {@code tcp://host:port} (plain TCP) */
    DockerLogStreams(URI dockerHost) {
        switch (dockerHost.getScheme()) {
            case "unix" -> {
                address = new DomainSocketAddress(dockerHost.getPath());
                unix = true;
                hostHeader = "docker";
            }
            case "tcp", "http" -> {
                int port = dockerHost.getPort() < 0 ? 2375 : dockerHost.getPort();
                address = new InetSocketAddress(dockerHost.getHost(), port);
                unix = false;
                hostHeader = dockerHost.getHost() + ":" + port;
            }
            default -> throw new IllegalArgumentException("log streams need a unix:// or tcp:// Docker host, got " + dockerHost);
        }
        loop = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new FastThreadLocalThread(r, "log-copier-io");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
    }

    /** Sends {@code GET pathAndQuery} and hands the response body to {@code sink} as it arrives, however long it takes. */
    Stream open(String pathAndQuery, Sink sink) {
        return open(pathAndQuery, sink, null);
    }

    /**
     * As {@link #open(String, Sink)}, but a Docker that sends nothing for {@code silence} (a hung dockerd) ends the
     * stream, unclean; null: no limit (a followed log stays quiet for as long as its container does).
     */
    Stream open(String pathAndQuery, Sink sink, Duration silence) {
        Handler handler = new Handler(sink, silence);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(unix ? EpollDomainSocketChannel.class : EpollSocketChannel.class)
                // log traffic is small and sparse: no pooled arenas held for it
                .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (silence != null) {
                            ch.pipeline().addLast(new ReadTimeoutHandler(silence.toMillis(), TimeUnit.MILLISECONDS));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), handler);
                    }
                });
        b.connect(address).addListener(f -> {
            if (!f.isSuccess()) {
                handler.finish(0, false, f.cause() == null ? "cannot connect" : f.cause().toString());
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, pathAndQuery);
            request.headers().set(HttpHeaderNames.HOST, hostHeader);
            ch.writeAndFlush(request);
        });
        return () -> {
            handler.cancelled = true;
            Channel ch = handler.channel;
            if (ch != null) {
                ch.close();
            }
        };
    }

    @Override
    public void close() {
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** One stream's response, on its channel's pipeline. */
    private static final class Handler extends SimpleChannelInboundHandler<HttpObject> {
        private final Sink sink;
        private final Duration silence;
        private volatile Channel channel;
        private volatile boolean cancelled;
        private int status;
        private StringBuilder errorBody;
        private boolean ended;

        Handler(Sink sink, Duration silence) {
            this.sink = sink;
            this.silence = silence;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            if (cancelled) {
                ctx.close();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws IOException {
            if (ended) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                finish(status, false, "bad HTTP from Docker: " + msg.decoderResult().cause());
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse r) {
                status = r.status().code();
                if (status != 200) {
                    errorBody = new StringBuilder();
                }
            }
            if (msg instanceof HttpContent c) {
                ByteBuf buf = c.content();
                if (errorBody != null) {
                    int n = Math.min(buf.readableBytes(), MAX_ERROR_BODY - errorBody.length());
                    errorBody.append(buf.toString(buf.readerIndex(), Math.max(0, n), StandardCharsets.UTF_8));
                } else if (buf.isReadable()) {
                    byte[] bytes = new byte[buf.readableBytes()];
                    buf.getBytes(buf.readerIndex(), bytes);
                    sink.body(bytes, 0, bytes.length);
                }
                if (msg instanceof LastHttpContent) {
                    finish(status, true, errorBody == null ? null : errorBody.toString().trim());
                    ctx.close();
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(status, false, cause instanceof ReadTimeoutException
                    ? "Docker sent nothing for " + silence.toMillis() + " ms" : cause.toString());
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            finish(status, false, cancelled ? null : "Docker closed the log stream early");
            super.channelInactive(ctx);
        }

        void finish(int status, boolean clean, String error) {
            if (ended) {
                return;
            }
            ended = true;
            sink.end(status, clean, error);
        }
    }
}
