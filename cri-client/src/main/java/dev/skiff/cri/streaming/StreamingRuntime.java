package dev.skiff.cri.streaming;

import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import io.netty.channel.EventLoop;

/**
 * What a container runtime does to serve streaming sessions. exec and attach return at once
 * (never block the event loop); the session reports through {@code output} on {@code loop},
 * the client's event loop, so a session's bytes move on one thread.
 */
public interface StreamingRuntime {
    CommandSession exec(ExecRequest request, CommandOutput output, EventLoop loop);

    CommandSession attach(AttachRequest request, CommandOutput output, EventLoop loop);

    /** Connections into pod sandboxes for port-forward. */
    PodPortDialer ports();
}
