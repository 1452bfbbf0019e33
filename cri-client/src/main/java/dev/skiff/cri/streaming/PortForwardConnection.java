package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One forwarded connection, whatever the transport: a socket into the pod (dialled off the
 * event loop, then registered on the client's loop) and the client's side of it. Bytes go
 * both ways on that one loop with backpressure each way; the client's end-of-data becomes a
 * half-close towards the pod; the pod's end, or a failure, ends the client's side, a failure
 * with upstream's text "error forwarding port N to pod SANDBOX, uid : CAUSE".
 */
final class PortForwardConnection {
    private static final Logger log = LoggerFactory.getLogger(PortForwardConnection.class);
    static final Duration DIAL_TIMEOUT = Duration.ofSeconds(30);

    /** The client's side: its data, its error channel, and the end of both. */
    interface ClientSide {
        void data(ByteBuf bytes);

        void error(String message);

        void end();
    }

    private final String podSandboxId;
    private final int port;
    private final Channel client;
    private final ClientSide side;
    private final List<ByteBuf> pending = new ArrayList<>();
    private NioSocketChannel pod;
    private boolean clientDone;
    private boolean closed;

    PortForwardConnection(String podSandboxId, int port, Channel client, ClientSide side) {
        this.podSandboxId = podSandboxId;
        this.port = port;
        this.client = client;
        this.side = side;
    }

    void start(PodPortDialer dialer, Executor dials) {
        log.info("port-forward to port {} in pod sandbox {}", port, podSandboxId);
        dials.execute(() -> {
            try {
                SocketChannel socket = dialer.dial(podSandboxId, port, DIAL_TIMEOUT);
                client.eventLoop().execute(() -> attach(socket));
            } catch (IOException | RuntimeException e) {
                client.eventLoop().execute(() -> fail(e.getMessage()));
            }
        });
    }

    private void attach(SocketChannel socket) {
        if (closed || !client.isActive()) {
            closeQuietly(socket);
            return;
        }
        try {
            pod = new NioSocketChannel(socket);
        } catch (RuntimeException e) {
            closeQuietly(socket);
            fail(e.toString());
            return;
        }
        pod.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        pod.pipeline().addLast(new FromPod());
        client.eventLoop().register(pod).addListener(f -> {
            if (!f.isSuccess()) {
                fail(String.valueOf(f.cause()));
                return;
            }
            pending.forEach(pod::write);
            pending.clear();
            pod.flush();
            if (clientDone) {
                pod.shutdownOutput();
            }
        });
    }

    /** Bytes from the client for the pod; the callee owns the buffer. */
    void fromClient(ByteBuf bytes) {
        if (closed) {
            bytes.release();
        } else if (pod != null && pod.isRegistered()) {
            pod.writeAndFlush(bytes);
            if (!pod.isWritable()) {
                // the pod reads slower than the client sends: stop reading the client until it catches up
                client.config().setAutoRead(false);
            }
        } else {
            pending.add(bytes);
        }
    }

    /** The client sent its last byte. */
    void clientDone() {
        clientDone = true;
        if (pod != null && pod.isRegistered() && !closed) {
            pod.shutdownOutput();
        }
    }

    void fail(String cause) {
        if (closed) {
            return;
        }
        String message = String.format("error forwarding port %d to pod %s, uid : %s", port, podSandboxId, cause);
        log.warn("port-forward: {}", message);
        if (client.isActive()) {
            side.error(message);
        }
        close();
    }

    /** Ends the client's side and closes the socket into the pod. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        pending.forEach(ByteBuf::release);
        pending.clear();
        if (client.isActive()) {
            side.end();
        }
        if (pod != null) {
            pod.close();
        }
        client.config().setAutoRead(true);
    }

    boolean closed() {
        return closed;
    }

    private final class FromPod extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            if (closed) {
                bytes.release();
                return;
            }
            side.data(bytes);
            if (!client.isWritable()) {
                ctx.channel().config().setAutoRead(false);
                resumeWhenWritable(ctx.channel());
            }
        }

        /** The client's channel has many pods' connections: polled rather than hooked into its pipeline. */
        private void resumeWhenWritable(Channel podChannel) {
            if (closed) {
                return;
            }
            if (client.isWritable() || !client.isActive()) {
                podChannel.config().setAutoRead(true);
            } else {
                client.eventLoop().schedule(() -> resumeWhenWritable(podChannel), 10, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                client.config().setAutoRead(true);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already broken
        }
    }
}
