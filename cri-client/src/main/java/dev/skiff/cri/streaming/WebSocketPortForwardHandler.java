package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Port-forward over WebSocket as upstream's kubelet serves it: one connection into the pod per
 * requested port, each with two channels, data (2i) and error (2i+1), each opened by a message
 * carrying the port as two little-endian bytes. Binary ({@code v4.channel.k8s.io} or no
 * subprotocol) or base64 text ({@code v4.base64.channel.k8s.io}). The WebSocket closes once
 * every port's connection has ended.
 */
final class WebSocketPortForwardHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(WebSocketPortForwardHandler.class);
    static final String V4_BINARY = "v4.channel.k8s.io";
    static final String V4_BASE64 = "v4.base64.channel.k8s.io";

    private final String podSandboxId;
    private final List<Integer> ports;
    private final boolean base64;
    private final PodPortDialer dialer;
    private final Executor dials;
    private final List<PortForwardConnection> connections = new ArrayList<>();
    private ChannelHandlerContext ctx;
    private boolean closing;

    WebSocketPortForwardHandler(String podSandboxId, List<Integer> ports, boolean base64, PodPortDialer dialer, Executor dials) {
        this.podSandboxId = podSandboxId;
        this.ports = List.copyOf(ports);
        this.base64 = base64;
        this.dialer = dialer;
        this.dials = dials;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            int data = 2 * i;
            int error = data + 1;
            byte[] prefix = {(byte) (port & 0xff), (byte) (port >> 8)};
            send(data, Unpooled.wrappedBuffer(prefix));
            send(error, Unpooled.wrappedBuffer(prefix));
            PortForwardConnection c = new PortForwardConnection(podSandboxId, port, ctx.channel(), new PortForwardConnection.ClientSide() {
                @Override
                public void data(ByteBuf bytes) {
                    send(data, bytes);
                }

                @Override
                public void error(String message) {
                    send(error, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
                }

                @Override
                public void end() {
                    ctx.executor().execute(WebSocketPortForwardHandler.this::closeWhenAllEnded);
                }
            });
            connections.add(c);
            c.start(dialer, dials);
        }
    }

    private void send(int channel, ByteBuf payload) {
        if (closing) {
            payload.release();
            return;
        }
        ctx.writeAndFlush(WebSocketChannels.frame(channel, payload, base64));
    }

    private void closeWhenAllEnded() {
        if (closing || !connections.stream().allMatch(PortForwardConnection::closed)) {
            return;
        }
        closing = true;
        GracefulClose.after(ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)), ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame) {
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)).addListener(f -> ctx.close());
            } else if (msg instanceof WebSocketFrame frame) {
                WebSocketChannels.Message m = WebSocketChannels.read(frame, base64);
                if (m == null) {
                    return;
                }
                int channel = m.channel();
                if (channel >= 0 && channel % 2 == 0 && channel / 2 < connections.size() && m.payload().isReadable()) {
                    connections.get(channel / 2).fromClient(m.payload());
                } else {
                    m.payload().release();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connections.forEach(PortForwardConnection::close);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("WebSocket port-forward connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
