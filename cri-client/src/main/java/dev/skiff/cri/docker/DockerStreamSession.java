package dev.skiff.cri.docker;

import dev.skiff.cri.streaming.CommandOutput;
import dev.skiff.cri.streaming.CommandResult;
import dev.skiff.cri.streaming.CommandSession;
import dev.skiff.cri.streaming.TerminalSize;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A streamed exec or attach on Docker: the Docker-side setup (blocking API calls) runs on the
 * shim's small Docker pool, then the hijacked connection is opened on the client's event loop
 * and bytes flow between the two sockets there. Input that comes before the connection is up
 * waits; output pauses while the client is not taking it.
 */
abstract class DockerStreamSession implements CommandSession {
    private static final Logger log = LoggerFactory.getLogger(DockerStreamSession.class);

    /** What the Docker side needs to open the stream. */
    record Target(String path, String body, boolean tty) {}

    protected final CommandOutput output;
    protected final EventLoop loop;
    protected final Executor docker;
    private final SocketAddress dockerAddress;
    private final List<ByteBuf> pendingStdin = new ArrayList<>();
    private boolean stdinClosed;
    private TerminalSize pendingSize;
    private Channel channel;
    private boolean upgraded;
    private boolean cancelled;
    private boolean ended;
    private DockerStreamDemux demux;

    DockerStreamSession(CommandOutput output, EventLoop loop, Executor docker, SocketAddress dockerAddress) {
        this.output = output;
        this.loop = loop;
        this.docker = docker;
        this.dockerAddress = dockerAddress;
    }

    /** Blocking: creates what is needed on Docker (the exec, the attach check) and says where to connect. */
    protected abstract Target prepare() throws Exception;

    /** Blocking: the new terminal size for Docker. */
    protected abstract void resizeOnDocker(TerminalSize size);

    /** Blocking: how the session ended once Docker's stream closed. */
    protected abstract CommandResult result();

    /** Blocking: the client left first; leave nothing running that it started. */
    protected abstract void abandon();

    /** A text for the session's errors ("exec of [sh] in container abc"). */
    protected abstract String describe();

    void start() {
        docker.execute(() -> {
            Target target;
            try {
                target = prepare();
            } catch (Exception e) {
                loop.execute(() -> end(CommandResult.error(message(e))));
                return;
            }
            loop.execute(() -> connect(target));
        });
    }

    private void connect(Target target) {
        if (cancelled) {
            docker.execute(this::abandon);
            return;
        }
        if (!target.tty()) {
            demux = new DockerStreamDemux(output::stdout, output::stderr);
        }
        channel = DockerHijack.open(loop, dockerAddress, target.path(), target.body(), new StreamHandler(target.tty())).channel();
        channel.closeFuture().addListener(f -> {
            if (demux != null) {
                demux.release();
            }
        });
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final boolean tty;

        StreamHandler(boolean tty) {
            this.tty = tty;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == DockerHijack.UPGRADED) {
                upgraded = true;
                for (ByteBuf b : pendingStdin) {
                    ctx.write(b);
                }
                pendingStdin.clear();
                ctx.flush();
                if (stdinClosed) {
                    shutdownOutputAfterWrites(ctx.channel());
                }
                if (pendingSize != null) {
                    TerminalSize size = pendingSize;
                    pendingSize = null;
                    docker.execute(() -> resizeOnDocker(size));
                }
            } else if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            if (ended) {
                data.release();
                return;
            }
            if (tty) {
                output.stdout(data);
            } else {
                demux.feed(data);
            }
            if (!output.writable()) {
                ctx.channel().config().setAutoRead(false);
                output.whenWritable(() -> ctx.channel().config().setAutoRead(true));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!cancelled && !ended) {
                docker.execute(() -> {
                    CommandResult r;
                    try {
                        r = result();
                    } catch (RuntimeException e) {
                        r = CommandResult.error(message(e));
                    }
                    CommandResult result = r;
                    loop.execute(() -> end(result));
                });
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("{}: Docker stream failed: {}", describe(), cause.getMessage());
            end(CommandResult.error(message(cause)));
            ctx.close();
        }
    }

    private void end(CommandResult result) {
        if (ended || cancelled) {
            return;
        }
        ended = true;
        output.finished(result);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    @Override
    public void stdin(ByteBuf data) {
        if (ended || cancelled || stdinClosed) {
            data.release();
        } else if (upgraded && channel.isActive()) {
            channel.writeAndFlush(data);
        } else if (upgraded) {
            data.release();
        } else {
            pendingStdin.add(data);
        }
    }

    @Override
    public void closeStdin() {
        if (stdinClosed) {
            return;
        }
        stdinClosed = true;
        if (upgraded && channel.isActive()) {
            shutdownOutputAfterWrites(channel);
        }
    }

    /**
     * Half-closes Docker's stdin once every byte written before has reached the socket: a shutdown right away would
     * fail the writes still queued (Netty drops its outbound buffer on shutdownOutput), so the process would see its
     * stdin end early.
     */
    private static void shutdownOutputAfterWrites(Channel channel) {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (channel.isActive()) {
                ((DuplexChannel) channel).shutdownOutput();
            }
        });
    }

    @Override
    public void resize(TerminalSize size) {
        if (ended || cancelled) {
            return;
        }
        if (upgraded) {
            docker.execute(() -> resizeOnDocker(size));
        } else {
            pendingSize = size;
        }
    }

    @Override
    public void cancel() {
        if (cancelled || ended) {
            return;
        }
        cancelled = true;
        pendingStdin.forEach(ByteBuf::release);
        pendingStdin.clear();
        if (channel != null) {
            channel.close();
            docker.execute(this::abandon);
        }
        // not connected yet: connect() sees the flag and abandons
    }
}
