package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.streaming.StreamingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/** The whole Docker-backed CRI runtime: one Docker client, both services, the log copiers. */
public final class DockerCriRuntime implements CriRuntime {
    private static final Logger log = LoggerFactory.getLogger(DockerCriRuntime.class);
    private static final java.time.Duration FIRST_SYNC_WAIT = java.time.Duration.ofSeconds(10);

    private final DockerClient docker;
    private final ContainerLogs logs;
    private final DockerRuntimeService runtime;
    private final DockerImageService images;
    private final SandboxPortDialer portDialer;
    private final DockerStreamingRuntime streamingRuntime;
    private final StreamingServer streaming;
    private final DockerEventWatcher events;

    private DockerCriRuntime(DockerClient docker, DockerShimConfig config, String ownPauseName, LongSupplier streamingClock) {
        this.docker = docker;
        this.logs = new ContainerLogs(config.dockerEndpoint());
        this.images = new DockerImageService(docker);
        this.runtime = new DockerRuntimeService(docker, new PauseImage(docker, config.podInfraImage(), ownPauseName),
                logs, new ExecSyncRunner(docker), new CgroupStatsReader(Path.of("/sys/fs/cgroup")), images.index());
        try {
            // port-forward dials inside the sandbox's network namespace, as containerd does: a pod's loopback-only
            // server is reachable and nothing needs socat
            this.portDialer = new SandboxPortDialer(docker);
        } catch (IOException e) {
            runtime.close();
            logs.close();
            throw CriErrors.unavailable("cannot prepare port-forward into pod network namespaces: %s", e.getMessage());
        }
        this.streamingRuntime = new DockerStreamingRuntime(docker, DockerHijack.address(config.dockerEndpoint()),
                portDialer::dial);
        try {
            this.streaming = StreamingServer.start(config.streamingAddress(), streamingRuntime, streamingClock);
        } catch (RuntimeException e) {
            streamingRuntime.close();
            portDialer.close();
            runtime.close();
            logs.close();
            throw e;
        }
        runtime.useStreaming(streaming);
        this.events = new DockerEventWatcher(DockerHijack.address(config.dockerEndpoint()), () -> docker.pingCmd().exec(),
                runtime.index(), images.index());
        events.start();
    }

    /** Connects to Docker (UNAVAILABLE when it does not answer) and resumes copying logs of running containers. */
    public static DockerCriRuntime connect(DockerShimConfig config) {
        return connect(config, null);
    }

    /** As {@link #connect(DockerShimConfig)}, importing our pause image under {@code ownPauseName} (null: the default). */
    static DockerCriRuntime connect(DockerShimConfig config, String ownPauseName) {
        return connect(config, ownPauseName, System::nanoTime);
    }

    /** As {@link #connect(DockerShimConfig, String)}, with the clock the streaming tokens expire on (tests move it). */
    static DockerCriRuntime connect(DockerShimConfig config, String ownPauseName, LongSupplier streamingClock) {
        DockerClient docker = DockerEndpoint.connect(config.dockerEndpoint());
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            closeQuietly(docker);
            throw CriErrors.unavailable("Docker Engine at %s does not answer: %s", config.dockerEndpoint(), DockerErrors.dockerMessage(e));
        }
        DockerCriRuntime runtime;
        try {
            runtime = new DockerCriRuntime(docker, config, ownPauseName, streamingClock);
        } catch (RuntimeException e) {
            closeQuietly(docker);
            throw e;
        }
        runtime.runtime.resumeLogs();
        try {
            // until the first resync, status and list calls ask Docker directly: waiting spares the first calls that
            if (!runtime.events.awaitLive(FIRST_SYNC_WAIT)) {
                log.warn("Docker event stream not followed within {}; CRI calls ask Docker directly until it is", FIRST_SYNC_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Docker CRI runtime connected to {}", config.dockerEndpoint());
        return runtime;
    }

    @Override
    public RuntimeService runtime() {
        return runtime;
    }

    @Override
    public ImageService images() {
        return images;
    }

    /** The Docker client underneath, for callers in this package and tests. */
    DockerClient docker() {
        return docker;
    }

    /** The CRI streaming server's address (exec, attach and port-forward URLs point there). */
    public java.net.InetSocketAddress streamingAddress() {
        return streaming.address();
    }

    @Override
    public void close() {
        events.close();
        streaming.close();
        streamingRuntime.close();
        portDialer.close();
        runtime.close();
        logs.close();
        closeQuietly(docker);
    }

    private static void closeQuietly(DockerClient docker) {
        try {
            docker.close();
        } catch (IOException e) {
            log.debug("closing Docker client: {}", e.toString());
        }
    }
}
