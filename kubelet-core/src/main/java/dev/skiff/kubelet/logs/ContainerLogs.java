package dev.skiff.kubelet.logs;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code /containerLogs/{ns}/{pod}/{container}} serves, without the HTTP: the pod from the kubelet's pods, the
 * container instance as upstream chooses it ({@link LogSelector}), its log path from the runtime
 * ({@code ContainerStatus.log_path}), and the log as upstream's kuberuntime writes it ({@link CriLogReader}), following
 * while the runtime says the container runs.
 */
public final class ContainerLogs {
    private static final Logger log = LoggerFactory.getLogger(ContainerLogs.class);

    private final Supplier<? extends Collection<Pod>> pods;
    private final RuntimeService runtime;
    private final Clock clock;
    private final CriLogReader reader;

    /** @param pods the kubelet's pods with their statuses (what {@code /pods} serves) */
    public ContainerLogs(Supplier<? extends Collection<Pod>> pods, RuntimeService runtime, Clock clock) {
        this(pods, runtime, clock, new CriLogReader());
    }

    ContainerLogs(Supplier<? extends Collection<Pod>> pods, RuntimeService runtime, Clock clock, CriLogReader reader) {
        this.pods = pods;
        this.runtime = runtime;
        this.clock = clock;
        this.reader = reader;
    }

    /**
     * Writes the log to {@code out} (blocking; following, until the container stops). Throws before writing anything
     * when the pod or container does not exist (404) or has no log to show (400); an {@link IOException} from
     * {@code out} (the client went away) ends it.
     */
    public void write(LogRequest request, OutputStream out)
            throws Endpoint.NotFoundException, Endpoint.BadRequestException, IOException {
        write(request, out, () -> true);
    }

    /**
     * {@link #write(LogRequest, OutputStream)} for an HTTP client: a follow also ends as soon as {@code clientOpen}
     * turns false, so a client that left while the container was quiet does not hold a thread until it stops.
     */
    public void write(LogRequest request, OutputStream out, java.util.function.BooleanSupplier clientOpen)
            throws Endpoint.NotFoundException, Endpoint.BadRequestException, IOException {
        Pod pod = LogSelector.pod(pods.get(), request.namespace(), request.pod());
        LogSelector.Selected selected = LogSelector.select(pod, request.container(), request.options().previous());
        String podRef = request.namespace() + "/" + request.pod() + " uid " + pod.getMetadata().getUid();
        ContainerStatus status = containerStatus(selected.containerId())
                .orElseThrow(() -> new Endpoint.BadRequestException("container \"" + request.container() + "\" in pod \""
                        + request.pod() + "\": instance " + shortId(selected.containerId()) + " is gone from the runtime"));
        if (status.getLogPath().isEmpty()) {
            throw new Endpoint.BadRequestException("container \"" + request.container() + "\" in pod \"" + request.pod()
                    + "\" has no log file");
        }
        Path path = Path.of(status.getLogPath());
        CriLogReader.Options options = CriLogReader.Options.of(request.options(), clock.instant());
        log.debug("pod {}: serving log of container {} ({}){}", podRef, request.container(), shortId(selected.containerId()),
                options.follow() ? ", following" : "");
        try {
            reader.read(path, options, () -> clientOpen.getAsBoolean() && running(selected.containerId()), out);
        } catch (NoSuchFileException e) {
            throw new Endpoint.BadRequestException("failed to open log file of container \"" + request.container()
                    + "\" in pod \"" + request.pod() + "\": " + path.getFileName() + " does not exist");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the server is stopping
        }
    }

    /** As upstream's {@code isContainerRunning}: anything but exited counts as running; a removed one does not. */
    private boolean running(String containerId) throws IOException {
        try {
            return containerStatus(containerId).map(s -> s.getState() != ContainerState.CONTAINER_EXITED).orElse(false);
        } catch (StatusRuntimeException e) {
            throw new IOException("cannot ask the runtime whether container " + shortId(containerId) + " runs: "
                    + e.getStatus().getDescription(), e);
        }
    }

    private Optional<ContainerStatus> containerStatus(String containerId) {
        try {
            return Optional.of(runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(containerId).build())
                    .getStatus());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
