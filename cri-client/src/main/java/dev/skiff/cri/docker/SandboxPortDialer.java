package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.docker.netns.Netns;
import dev.skiff.cri.docker.netns.NetnsDialer;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.time.Duration;

/**
 * The connection behind one port-forward stream: a TCP socket made inside a pod sandbox's network namespace to the
 * pod's loopback (127.0.0.1, then ::1), so a pod's port is reached whether or not it is published, and nothing runs
 * in the pod or on the host to carry it (no socat).
 */
public final class SandboxPortDialer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxPortDialer.class);

    private final DockerClient docker;
    private final NetnsDialer dialer;

    public SandboxPortDialer(DockerClient docker) throws IOException {
        this(docker, new NetnsDialer());
    }

    public SandboxPortDialer(DockerClient docker, NetnsDialer dialer) {
        this.docker = docker;
        this.dialer = dialer;
    }

    /**
     * A connected, blocking channel to {@code port} in the pod of {@code podSandboxId}. IOException naming the
     * sandbox when it is unknown or not running; ConnectException ("connection refused to port N in pod sandbox X")
     * when nothing in the pod listens there; SocketTimeoutException past {@code timeout}.
     */
    public SocketChannel dial(String podSandboxId, int port, Duration timeout) throws IOException {
        InspectContainerResponse sandbox;
        try {
            sandbox = KubeObjects.inspect(docker, podSandboxId, KubeLabels.TYPE_SANDBOX, "pod sandbox");
        } catch (StatusRuntimeException e) {
            throw new IOException(e.getStatus().getDescription(), e);
        }
        Netns netns = SandboxNetns.of(podSandboxId, sandbox);
        try {
            SocketChannel channel = dialer.connect(netns, port, timeout);
            log.debug("port-forward: connected to {} port {} from {}", netns.name(), port, channel.getLocalAddress());
            return channel;
        } catch (NoSuchFileException e) {
            // the pause process exited between the inspect and the dial
            throw new IOException(netns.name() + " is not running: " + e.getReason(), e);
        }
    }

    @Override
    public void close() {
        dialer.close();
    }
}
