package dev.skiff.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A remote command (exec or attach) over the kubelet's WebSocket channel protocol: every message is one channel byte
 * (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize) and its data. It offers {@code v5.channel.k8s.io} (kubectl's since
 * 1.30: a message {@code 255, 0} closes stdin) and {@code v4.channel.k8s.io} (what runtimes such as containerd 1.6
 * speak; stdin cannot be closed there, so a command reading piped stdin to its end keeps waiting).
 */
final class WebSocketStreams implements AutoCloseable {
    static final String V5 = "v5.channel.k8s.io";
    static final String V4 = "v4.channel.k8s.io";
    private static final int MAX_MESSAGE = 16 << 20;
    private static final int STDIN = 0, STDOUT = 1, STDERR = 2, ERROR = 3, RESIZE = 4, CLOSE = 255;

    private final EventLoopGroup loop = StreamingCommands.eventLoop("skiff-stream-io");
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final ByteArrayOutputStream errorStream = new ByteArrayOutputStream();
    private Channel channel;
    private String protocol;

    WebSocketStreams(OutputStream stdout, OutputStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Opens the session at {@code pathAndQuery}; returns once the upgrade is done (or throws why not). */
    void open(KubeletConnection kubelet, String pathAndQuery) throws IOException, InterruptedException {
        URI uri = URI.create("wss://" + kubelet.host() + ":" + kubelet.port() + pathAndQuery);
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set("Authorization", "Bearer " + kubelet.token());
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13,
                V5 + "," + V4, false, headers, MAX_MESSAGE);
        channel = kubelet.upgrade(loop, new Session(handshaker));
        protocol = handshaker.actualSubprotocol();
    }

    /** The protocol the server chose. */
    String protocol() {
        return protocol;
    }

    /** Whether stdin's end can be told to the server (v5). */
    boolean canCloseStdin() {
        return V5.equals(protocol);
    }

    /** Sends {@code in} as stdin until its end (or the session's), then closes stdin when the protocol can. */
    void pumpStdin(InputStream in) throws IOException {
        byte[] buf = new byte[32 * 1024];
        int n;
        while (channel.isActive() && (n = in.read(buf)) >= 0) {
            if (n > 0) {
                send(STDIN, buf, n);
            }
        }
        if (canCloseStdin() && channel.isActive()) {
            send(CLOSE, new byte[]{STDIN}, 1);
        }
    }

    /** Tells the remote terminal its new size. */
    void resize(int rows, int cols) {
        byte[] json = ("{\"Width\":" + cols + ",\"Height\":" + rows + "}").getBytes(StandardCharsets.US_ASCII);
        if (channel.isActive()) {
            channel.writeAndFlush(frame(RESIZE, json, json.length));
        }
    }

    private void send(int ch, byte[] data, int n) throws IOException {
        ChannelFuture f = channel.writeAndFlush(frame(ch, data, n)).awaitUninterruptibly();
        if (!f.isSuccess() && channel.isActive()) {
            throw new IOException("cannot send to the kubelet: " + f.cause().getMessage(), f.cause());
        }
    }

    private static BinaryWebSocketFrame frame(int ch, byte[] data, int n) {
        ByteBuf b = Unpooled.buffer(n + 1);
        b.writeByte(ch).writeBytes(data, 0, n);
        return new BinaryWebSocketFrame(b);
    }

    /** Waits until the server ends the session; what its error stream said. */
    RemoteStatus await() throws InterruptedException {
        channel.closeFuture().await();
        synchronized (errorStream) {
            return RemoteStatus.parse(errorStream.toByteArray());
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** The handshake, then the messages by channel. */
    private final class Session extends UpgradeHandler {
        private final WebSocketClientHandshaker handshaker;

        Session(WebSocketClientHandshaker handshaker) {
            this.handshaker = handshaker;
        }

        @Override
        void sendUpgrade(ChannelHandlerContext ctx) {
            handshaker.handshake(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
            try {
                if (!handshaker.isHandshakeComplete()) {
                    handshake(ctx, (FullHttpResponse) msg);
                } else {
                    frame(ctx, (WebSocketFrame) msg);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void handshake(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (!switched(ctx, res)) {
                return;
            }
            try {
                handshaker.finishHandshake(ctx.channel(), res);
            } catch (RuntimeException e) {
                done.tryFailure(new IOException("the kubelet's upgrade answer is not a WebSocket one: " + e.getMessage()));
                ctx.close();
                return;
            }
            ctx.pipeline().addBefore(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE));
            done.trySuccess();
        }

        private void frame(ChannelHandlerContext ctx, WebSocketFrame frame) throws IOException {
            if (frame instanceof CloseWebSocketFrame) {
                ctx.close();
            } else if (frame instanceof PingWebSocketFrame) {
                ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
            } else if (frame instanceof BinaryWebSocketFrame && frame.content().isReadable()) {
                ByteBuf c = frame.content();
                int ch = c.readUnsignedByte();
                byte[] data = ByteBufUtil.getBytes(c);
                if (data.length == 0) {
                    return; // v4+ servers open each channel with an empty message
                }
                switch (ch) {
                    case STDOUT -> write(stdout, data);
                    case STDERR -> write(stderr, data);
                    case ERROR -> {
                        synchronized (errorStream) {
                            errorStream.writeBytes(data);
                        }
                    }
                    default -> { }
                }
            }
        }

        private void write(OutputStream out, byte[] data) throws IOException {
            out.write(data);
            out.flush();
        }
    }
}
