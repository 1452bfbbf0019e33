package dev.skiff.cri.streaming;

import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec or attach between a transport and the runtime, whatever the transport: output to
 * the client's streams, input and resizes to the runtime's session, the result rendered as
 * the protocol version wants it, and the runtime's session cancelled when the client leaves
 * first. Runs on the connection's event loop.
 */
final class RemoteCommandRun implements CommandOutput {
    private static final Logger log = LoggerFactory.getLogger(RemoteCommandRun.class);

    private final Object request;
    private final StreamOptions options;
    private final RemoteCommandProtocol protocol;
    private final RemoteCommandTransport transport;
    private final ResizeDecoder resizes = new ResizeDecoder();
    private CommandSession session;
    private TerminalSize pendingSize;
    private boolean finished;

    RemoteCommandRun(Object request, RemoteCommandProtocol protocol, RemoteCommandTransport transport) {
        this.request = request;
        this.options = options(request);
        this.protocol = protocol;
        this.transport = transport;
    }

    static StreamOptions options(Object request) {
        if (request instanceof ExecRequest e) {
            return new StreamOptions(e.getStdin(), e.getStdout(), e.getStderr(), e.getTty());
        }
        AttachRequest a = (AttachRequest) request;
        return new StreamOptions(a.getStdin(), a.getStdout(), a.getStderr(), a.getTty());
    }

    StreamOptions options() {
        return options;
    }

    boolean started() {
        return session != null;
    }

    void start(StreamingRuntime runtime, EventLoop loop) {
        if (request instanceof ExecRequest e) {
            log.info("exec of {} in container {} (tty={}, stdin={}, {})", e.getCmdList(), e.getContainerId(), e.getTty(), e.getStdin(), protocol.id);
            session = runtime.exec(e, this, loop);
        } else {
            AttachRequest a = (AttachRequest) request;
            log.info("attach to container {} (tty={}, stdin={}, {})", a.getContainerId(), a.getTty(), a.getStdin(), protocol.id);
            session = runtime.attach(a, this, loop);
        }
        if (pendingSize != null) {
            session.resize(pendingSize);
            pendingSize = null;
        }
    }

    void onStdin(ByteBuf data) {
        if (session == null || finished || !options.stdin()) {
            data.release();
            return;
        }
        session.stdin(data);
    }

    void onStdinClosed() {
        if (session != null && !finished) {
            session.closeStdin();
        }
    }

    void onResize(ByteBuf data) {
        try {
            if (!options.tty()) {
                return;
            }
            for (TerminalSize size : resizes.feed(data)) {
                if (session == null) {
                    pendingSize = size;
                } else if (!finished) {
                    session.resize(size);
                }
            }
        } finally {
            data.release();
        }
    }

    /** The connection closed before the session ended. */
    void onClientGone() {
        if (!finished) {
            finished = true;
            if (session != null) {
                log.info("client of {} left before it ended: cancelling", describe());
                session.cancel();
            }
        }
    }

    @Override
    public void stdout(ByteBuf data) {
        output(StreamType.STDOUT, options.stdout(), data);
    }

    @Override
    public void stderr(ByteBuf data) {
        // with a TTY there is no stderr stream: Docker sends everything as stdout then
        output(StreamType.STDERR, options.stderr() && !options.tty(), data);
    }

    private void output(StreamType type, boolean wanted, ByteBuf data) {
        if (finished || !wanted) {
            data.release();
            return;
        }
        transport.write(type, data);
    }

    @Override
    public void finished(CommandResult result) {
        if (finished) {
            return;
        }
        finished = true;
        log.info("{} ended: {}", describe(), result.kind() == CommandResult.Kind.SUCCESS ? "success"
                : result.kind() == CommandResult.Kind.EXIT_CODE ? "exit code " + result.exitCode() : result.message());
        transport.finish(StatusJson.render(result, protocol.statusJson, request instanceof AttachRequest));
    }

    @Override
    public boolean writable() {
        return transport.writable();
    }

    @Override
    public void whenWritable(Runnable task) {
        transport.whenWritable(task);
    }

    private String describe() {
        return request instanceof ExecRequest e ? "exec of " + e.getCmdList() + " in container " + e.getContainerId()
                : "attach to container " + ((AttachRequest) request).getContainerId();
    }
}
