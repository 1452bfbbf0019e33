package dev.skiff.cli;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.server.CriServer;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff cri-shim}: the Docker CRI shim on its own, served on a Unix socket (the role
 * cri-dockerd plays for the upstream kubelet).
 */
@Command(name = "cri-shim", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Serve CRI v1 (RuntimeService and ImageService) for Docker Engine on a Unix socket.")
final class CriShimCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(CriShimCommand.class);
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 15;

    @Option(names = "--listen", paramLabel = "ENDPOINT", defaultValue = "unix:///run/skiff/cri.sock",
            converter = Endpoints.UnixSocket.class, description = "CRI endpoint to serve (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--docker-endpoint", paramLabel = "ENDPOINT", defaultValue = "unix:///var/run/docker.sock",
            description = "Docker Engine endpoint (default: ${DEFAULT-VALUE}).")
    String dockerEndpoint;

    @Option(names = "--pod-infra-container-image", paramLabel = "IMAGE",
            description = "Sandbox (pause) image; default: Skiff's own, imported into Docker on first use.")
    String podInfraImage;

    @Option(names = "--streaming-address", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:0",
            description = "Where the CRI streaming server (exec, attach, port-forward URLs) listens; "
                    + "port 0 picks a random one, as containerd (default: ${DEFAULT-VALUE}).")
    String streamingAddress;

    @Option(names = {"-v", "--v"}, paramLabel = "N", defaultValue = "0", description = "Log verbosity (klog style).")
    int verbosity;

    @Override
    public Integer call() throws InterruptedException {
        Verbosity.apply(verbosity);
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // The JVM halts once shutdown hooks return, so the hook waits (bounded) for the
        // main thread to close the server and remove the socket.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: closing unix://{}", socket);
            stopRequested.countDown();
            try {
                closed.await(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        try (DockerCriRuntime runtime = DockerCriRuntime.connect(new DockerShimConfig(dockerEndpoint, podInfraImage, streamingAddress));
             CriServer server = CriServer.start(socket, runtime.runtime(), runtime.images())) {
            log.info("serving CRI v1 on unix://{} for Docker at {} (streaming on {})", socket, dockerEndpoint, runtime.streamingAddress());
            stopRequested.await();
        } catch (StatusRuntimeException e) {
            // Docker not answering: one clear line, not a stack trace.
            log.error("cri-shim cannot start: {}", e.getStatus().getDescription());
            return 1;
        } catch (UncheckedIOException | IllegalArgumentException e) {
            // The socket cannot be bound (path too long, directory not writable, ...).
            log.error("cri-shim cannot start: {}", e.getMessage());
            return 1;
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
