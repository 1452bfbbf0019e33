package dev.skiff.cri.streaming;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A smoke-test client for the streaming server built from Netty's own SPDY codec (the
 * independent client lives in dev.skiff.streamclient): the HTTP upgrade, then client streams
 * with headers, data, and what each stream received until its FIN.
 */
public final class NettySpdyProbe implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<Integer, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<String>> ended = new ConcurrentHashMap<>();
    private final CompletableFuture<HttpResponse> upgrade = new CompletableFuture<>();
    private final StringBuilder refusalBody = new StringBuilder();
    private Channel channel;
    private int nextId = 1;

    /** Sends the upgrade request for url with the given X-Stream-Protocol-Version values; returns the response head. */
    public HttpResponse connect(String url, List<String> protocols) throws Exception {
        URI uri = URI.create(url);
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("http", new HttpClientCodec()).addLast("probe", new Handler());
                    }
                }).connect(uri.getHost(), uri.getPort()).sync().channel();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri.getRawPath());
        req.headers().set("Host", uri.getHost() + ":" + uri.getPort());
        req.headers().set("Connection", "Upgrade");
        req.headers().set("Upgrade", "SPDY/3.1");
        req.headers().set("Content-Length", "0");
        protocols.forEach(p -> req.headers().add("X-Stream-Protocol-Version", p));
        channel.writeAndFlush(req).sync();
        return upgrade.get(30, TimeUnit.SECONDS);
    }

    /** The body of a refused upgrade, once the server closed the connection. */
    public String refusalBody() throws InterruptedException {
        channel.closeFuture().await(30, TimeUnit.SECONDS);
        synchronized (refusalBody) {
            return refusalBody.toString();
        }
    }

    public int open(Map<String, String> headers) {
        int id = nextId;
        nextId += 2;
        received.put(id, new ByteArrayOutputStream());
        ended.put(id, new CompletableFuture<>());
        SpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
        headers.forEach((k, v) -> syn.headers().set(k, v));
        channel.writeAndFlush(syn).syncUninterruptibly();
        return id;
    }

    public void send(int id, String text, boolean fin) {
        send(id, text.getBytes(StandardCharsets.UTF_8), fin);
    }

    public void send(int id, byte[] data, boolean fin) {
        DefaultSpdyDataFrame frame = new DefaultSpdyDataFrame(id, Unpooled.wrappedBuffer(data));
        frame.setLast(fin);
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    /** Everything the stream received, once the server ended it (FIN or reset). */
    public String awaitEnd(int id, Duration timeout) throws Exception {
        return ended.get(id).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Every byte the stream received, once the server ended it. */
    public byte[] awaitBytes(int id, Duration timeout) throws Exception {
        awaitEnd(id, timeout);
        ByteArrayOutputStream out = received.get(id);
        synchronized (out) {
            return out.toByteArray();
        }
    }

    /** What the stream has received so far. */
    public String soFar(int id) {
        ByteArrayOutputStream out = received.get(id);
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    public Channel channel() {
        return channel;
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse res) {
                    if (res.status().code() == 101) {
                        ctx.pipeline().addBefore("probe", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
                        upgrade.complete(res);
                        ctx.pipeline().remove("http");
                    } else {
                        upgrade.complete(res);
                    }
                } else if (msg instanceof HttpContent content) {
                    synchronized (refusalBody) {
                        refusalBody.append(content.content().toString(StandardCharsets.UTF_8));
                    }
                } else if (msg instanceof SpdyDataFrame data) {
                    ByteArrayOutputStream out = received.get(data.streamId());
                    if (out != null) {
                        ByteBuf c = data.content();
                        byte[] bytes = new byte[c.readableBytes()];
                        c.getBytes(c.readerIndex(), bytes);
                        synchronized (out) {
                            out.writeBytes(bytes);
                        }
                        if (data.isLast()) {
                            ended.get(data.streamId()).complete(soFar(data.streamId()));
                        }
                    }
                } else if (msg instanceof SpdyRstStreamFrame rst) {
                    CompletableFuture<String> f = ended.get(rst.streamId());
                    if (f != null) {
                        f.complete(soFar(rst.streamId()));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            upgrade.completeExceptionally(new IllegalStateException("connection closed before the upgrade"));
            ended.forEach((id, f) -> f.completeExceptionally(new IllegalStateException("connection closed before stream " + id + " ended; got: " + soFar(id))));
        }
    }
}
