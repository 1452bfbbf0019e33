package dev.skiff.cri.streaming;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A smoke-test WebSocket client for the channel protocols, on Netty's WebSocket client: what
 * each channel received, decoded for the base64 protocols, until the server closes.
 */
public final class NettyWebSocketProbe implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<Integer, ByteArrayOutputStream> channels = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private boolean base64;
    private Channel channel;
    private WebSocketClientHandshaker handshaker;

    /** Connects with the given subprotocol; returns the one the server chose. */
    public String connect(String url, String protocol) throws Exception {
        base64 = protocol.contains("base64");
        URI uri = URI.create(url.replace("http://", "ws://"));
        handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, protocol, false,
                new DefaultHttpHeaders(), 1 << 20);
        CompletableFuture<Void> done = new CompletableFuture<>();
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), new SimpleChannelInboundHandler<Object>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                        if (!handshaker.isHandshakeComplete()) {
                            handshaker.finishHandshake(ctx.channel(), (FullHttpResponse) msg);
                            done.complete(null);
                            return;
                        }
                        WebSocketFrame f = (WebSocketFrame) msg;
                        if (f instanceof CloseWebSocketFrame) {
                            closed.complete(null);
                            return;
                        }
                        ByteBuf c = f.content();
                        byte[] bytes = new byte[c.readableBytes()];
                        c.getBytes(c.readerIndex(), bytes);
                        if (bytes.length == 0) {
                            return;
                        }
                        int ch;
                        byte[] payload;
                        if (f instanceof TextWebSocketFrame) {
                            ch = bytes[0] - '0';
                            payload = Base64.getDecoder().decode(new String(bytes, 1, bytes.length - 1, StandardCharsets.US_ASCII));
                        } else {
                            ch = bytes[0] & 0xff;
                            payload = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
                        }
                        ByteArrayOutputStream out = channels.computeIfAbsent(ch, k -> new ByteArrayOutputStream());
                        synchronized (out) {
                            out.writeBytes(payload);
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        closed.complete(null);
                        done.completeExceptionally(new IllegalStateException("closed during the handshake"));
                    }
                });
            }
        }).connect(uri.getHost(), uri.getPort()).sync().channel();
        handshaker.handshake(channel).sync();
        done.get(30, TimeUnit.SECONDS);
        return handshaker.actualSubprotocol();
    }

    public void send(int ch, byte[] payload) {
        if (base64) {
            String text = (char) ('0' + ch) + Base64.getEncoder().encodeToString(payload);
            channel.writeAndFlush(new TextWebSocketFrame(text)).syncUninterruptibly();
        } else {
            byte[] b = new byte[payload.length + 1];
            b[0] = (byte) ch;
            System.arraycopy(payload, 0, b, 1, payload.length);
            channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(b))).syncUninterruptibly();
        }
    }

    public void send(int ch, String text) {
        send(ch, text.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] bytes(int ch) {
        ByteArrayOutputStream out = channels.get(ch);
        if (out == null) {
            return new byte[0];
        }
        synchronized (out) {
            return out.toByteArray();
        }
    }

    public String received(int ch) {
        ByteArrayOutputStream out = channels.get(ch);
        if (out == null) {
            return "";
        }
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits for the server's close. */
    public void awaitClose(long seconds) throws Exception {
        closed.get(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
