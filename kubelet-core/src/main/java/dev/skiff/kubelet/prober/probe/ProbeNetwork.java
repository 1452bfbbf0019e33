package dev.skiff.kubelet.prober.probe;

import dev.skiff.kubelet.config.IpLiteral;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The probes' network I/O: one Netty event loop thread ({@code prober-io}) carries every httpGet, tcpSocket and
 * grpc probe, non-blocking, whatever the number of pods. Host names (rare: an httpGet/tcpSocket {@code host}) are
 * looked up on the blocking pool so a slow DNS server never stalls the loop; IP literals are never looked up.
 * The loop is Netty's native epoll one where it loads (Linux), else JDK NIO: a probe opens and closes a connection
 * every period, and a native socket's open, register and close cost the loop less than a JDK NIO one's.
 */
public final class ProbeNetwork implements AutoCloseable {
    private final EventLoopGroup group;
    private final Executor blocking;

    private final Class<? extends SocketChannel> channelType;

    public ProbeNetwork(Executor blocking) {
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("prober-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.blocking = blocking;
    }

    public EventLoopGroup group() {
        return group;
    }

    /** The TCP channel type of {@link #group()}'s transport. */
    public Class<? extends SocketChannel> channelType() {
        return channelType;
    }

    Executor blocking() {
        return blocking;
    }

    /** The address to connect to; a host name is looked up off the event loop. */
    CompletableFuture<InetSocketAddress> resolve(String host, int port) {
        if (IpLiteral.isIP(host)) {
            try {
                return CompletableFuture.completedFuture(new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (UnknownHostException e) {
                return CompletableFuture.failedFuture(e); // not reached for a literal
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException e) {
                throw new java.util.concurrent.CompletionException(new UnknownHostException(host));
            }
        }, blocking);
    }

    /** Connects within {@code timeout}; the channel's pipeline is set up by {@code init}. */
    CompletableFuture<Channel> connect(InetSocketAddress address, Duration timeout, ChannelHandler init) {
        CompletableFuture<Channel> out = new CompletableFuture<>();
        long ms = Math.max(1, timeout.toMillis());
        new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, ms))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(init)
                .connect(address).addListener(f -> {
                    if (f.isSuccess()) {
                        out.complete(((io.netty.channel.ChannelFuture) f).channel());
                    } else {
                        out.completeExceptionally(f.cause());
                    }
                });
        return out;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
