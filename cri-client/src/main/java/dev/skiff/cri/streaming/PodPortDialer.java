package dev.skiff.cri.streaming;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** Opens a TCP connection to a port inside a pod sandbox's network namespace (blocking; never called on an event loop). */
public interface PodPortDialer {
    /** A connected, blocking-mode channel; IOException naming the sandbox and port when that fails. */
    SocketChannel dial(String podSandboxId, int port, Duration timeout) throws IOException;
}
