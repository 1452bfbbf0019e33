package dev.skiff.cli;

import picocli.CommandLine;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

import java.io.IOException;
import java.util.concurrent.ThreadFactory;

/** How exec, attach and port-forward end: their exit code, or 1 with {@code skiff VERB: why} on stderr. */
final class StreamingCommands {
    private StreamingCommands() {
    }

    /** One Netty event loop thread named {@code name} (daemon: it must not keep the CLI alive). */
    static EventLoopGroup eventLoop(String name) {
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
        return new MultiThreadIoEventLoopGroup(1, threads, NioIoHandler.newFactory());
    }

    interface Body {
        int run() throws IOException, InterruptedException;
    }

    static int run(CommandLine.Model.CommandSpec spec, Body body) {
        try {
            return body.run();
        } catch (IOException e) {
            return fail(spec, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(spec, "interrupted");
        }
    }

    private static int fail(CommandLine.Model.CommandSpec spec, String message) {
        spec.commandLine().getErr().println("skiff " + spec.name() + ": " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
