package dev.skiff.cri.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.streaming.PodPortDialer;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Port-forward's way into a pod until the netns dialer is wired: a TCP connection from the
 * host to the pod's bridge IP (127.0.0.1 for a host-network pod). It reaches what listens on
 * the pod's interface, not what listens on the pod's own loopback only.
 */
final class SandboxAddressDialer implements PodPortDialer {
    private final SandboxService sandboxes;

    SandboxAddressDialer(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Override
    public SocketChannel dial(String podSandboxId, int port, Duration timeout) throws IOException {
        InspectContainerResponse sandbox;
        try {
            sandbox = sandboxes.inspectSandbox(podSandboxId);
        } catch (StatusRuntimeException e) {
            throw new IOException("pod sandbox " + podSandboxId + " not found");
        }
        if (sandbox.getState() == null || !Boolean.TRUE.equals(sandbox.getState().getRunning())) {
            throw new IOException("pod sandbox " + podSandboxId + " is not running");
        }
        String ip = "host".equals(sandbox.getHostConfig().getNetworkMode()) ? "127.0.0.1" : SandboxService.podIp(sandbox);
        if (ip.isEmpty()) {
            throw new IOException("pod sandbox " + podSandboxId + " has no IP address");
        }
        SocketChannel ch = SocketChannel.open();
        try {
            ch.socket().connect(new InetSocketAddress(ip, port), (int) Math.max(1, timeout.toMillis()));
            return ch;
        } catch (SocketTimeoutException e) {
            ch.close();
            throw new IOException("connection to port " + port + " in pod sandbox " + podSandboxId + " timed out after " + timeout.toSeconds() + "s");
        } catch (IOException e) {
            ch.close();
            throw new IOException("connection refused to port " + port + " in pod sandbox " + podSandboxId + ": " + e.getMessage());
        }
    }
}
