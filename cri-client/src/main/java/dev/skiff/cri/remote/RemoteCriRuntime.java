package dev.skiff.cri.remote;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A CRI runtime behind any CRI v1 endpoint on a Unix socket (Skiff's own shim, containerd,
 * cri-dockerd, CRI-O). The channel connects lazily and reconnects by itself; a call made
 * while the endpoint is down fails with UNAVAILABLE.
 */
public final class RemoteCriRuntime implements CriRuntime {
    private static final Logger log = LoggerFactory.getLogger(RemoteCriRuntime.class);
    /** Deadline for calls that legitimately run long: PullImage, ExecSync without a timeout. */
    static final Duration LONG_CALL_TIMEOUT = Duration.ofMinutes(10);
    /** Same limit the server applies (and the kubelet uses). */
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final String endpoint;
    private final ManagedChannel channel;
    private final RemoteRuntimeService runtime;
    private final RemoteImageService images;

    private RemoteCriRuntime(String endpoint, ManagedChannel channel, Duration callTimeout) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.runtime = new RemoteRuntimeService(channel, callTimeout);
        this.images = new RemoteImageService(channel, callTimeout);
    }

    /**
     * @param endpoint    {@code unix:///path} or an absolute socket path
     * @param callTimeout deadline of each unary call (PullImage and ExecSync get longer ones)
     */
    public static RemoteCriRuntime connect(String endpoint, Duration callTimeout) {
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive: " + callTimeout);
        }
        Path socket = UnixEndpoint.parse(endpoint);
        // grpc-netty's unix:// resolver and channel provider: Netty epoll domain sockets on
        // grpc's shared event loop, the endpoint form the kubelet and crictl use.
        ManagedChannel channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create())
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
        log.debug("CRI client for unix://{} created (call timeout {} ms)", socket, callTimeout.toMillis());
        return new RemoteCriRuntime("unix://" + socket, channel, callTimeout);
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public RuntimeService runtime() {
        return runtime;
    }

    @Override
    public ImageService images() {
        return images;
    }

    /** Lets calls in flight finish for a few seconds, then cancels them. Idempotent. */
    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("CRI client for {}: calls still running after {} s, cancelling them",
                        endpoint, CLOSE_TIMEOUT.toSeconds());
                channel.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
