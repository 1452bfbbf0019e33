package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.streaming.StreamingServer;
import dev.skiff.cri.v1.*;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** CRI v1 RuntimeService on Docker Engine: sandboxes and containers, plus logs, exec and stats (from the cgroup reader). */
public final class DockerRuntimeService implements RuntimeService {
    private static final Logger log = LoggerFactory.getLogger(DockerRuntimeService.class);
    static final String RUNTIME_NAME = "docker";
    static final String API_VERSION = "v1";
    static final String SHIM_VERSION = "0.1.0";
    /** How long the first status of an exited container waits for its log copier's final read. */
    static final Duration FINAL_LOG_READ_WAIT = Duration.ofSeconds(2);

    private final DockerClient docker;
    private final SandboxService sandboxes;
    private final ContainerService containers;
    private final ContainerLogs logs;
    private final ExecSyncRunner exec;
    private final DockerStats stats;
    private final RuntimeIndex index;
    private StreamingServer streaming;

    /** Without an event stream: every call asks Docker (what the benches time the kubelet's relists against). */
    public DockerRuntimeService(DockerClient docker, PauseImage pause, ContainerLogs logs, ExecSyncRunner exec, CgroupStatsReader cgroups) {
        this(docker, pause, logs, exec, cgroups, new DockerImageService(docker).index());
    }

    /** @param images the image index CreateContainer checks images in and ListContainers shows images through */
    DockerRuntimeService(DockerClient docker, PauseImage pause, ContainerLogs logs, ExecSyncRunner exec, CgroupStatsReader cgroups,
                         ImageIndex images) {
        this.docker = docker;
        OomScoreAdj oom = OomScoreAdj.fromProc();
        this.logs = logs;
        this.exec = exec;
        this.index = new RuntimeIndex(new DockerSource(docker));
        SecurityOptions security = new SecurityOptions(HostSecurity.probe(docker));
        this.sandboxes = new SandboxService(docker, pause, oom, security, logs::forget, index);
        this.containers = new ContainerService(docker, sandboxes, oom, security, index, images);
        this.stats = new DockerStats(docker, containers, sandboxes, cgroups);
    }

    /** The streaming server Exec, Attach and PortForward hand their URLs out from; without one they are UNIMPLEMENTED. */
    void useStreaming(StreamingServer server) {
        this.streaming = server;
    }

    SandboxService sandboxes() {
        return sandboxes;
    }

    /** The index status and list calls answer from while Docker's event stream is followed. */
    RuntimeIndex index() {
        return index;
    }

    /** The index's view of Docker: inspect by id, and the ids of every pod container and sandbox. */
    private record DockerSource(DockerClient docker) implements RuntimeIndex.Source {
        @Override
        public Optional<ContainerRecord> inspect(String id) {
            try {
                return ContainerRecord.of(docker.inspectContainerCmd(id).exec());
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                return Optional.empty();
            }
        }

        @Override
        public java.util.List<String> ids() {
            return docker.listContainersCmd().withShowAll(true).withLabelFilter(java.util.List.of(KubeLabels.TYPE)).exec()
                    .stream().map(Container::getId).toList();
        }
    }

    /** After a shim restart: copy logs again for every running pod container that has a log path. */
    void resumeLogs() {
        for (Container c : containers.listDocker("", "", Map.of())) {
            if (!"running".equals(c.getState()) || c.getLabels() == null || !c.getLabels().containsKey(KubeLabels.LOG_PATH)) {
                continue;
            }
            try {
                ContainerRecord.of(docker.inspectContainerCmd(c.getId()).exec()).map(ContainerRecord::logTarget).ifPresent(this::followLogs);
            } catch (RuntimeException e) {
                log.warn("cannot resume logs of container {}: {}", DockerErrors.shortId(c.getId()), e.toString());
            }
        }
    }

    private void followLogs(ContainerService.LogTarget target) {
        if (target.logPath().isEmpty()) {
            return;
        }
        Path path = target.logPath().get();
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
        } catch (IOException e) {
            throw CriErrors.internal(e, "cannot create log directory %s for container %s", path.getParent(), DockerErrors.shortId(target.id()));
        }
        logs.follow(target.id(), path, target.tty());
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        String dockerVersion;
        try {
            dockerVersion = docker.versionCmd().exec().getVersion();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "query", "Docker version");
        }
        return VersionResponse.newBuilder().setVersion(SHIM_VERSION).setRuntimeName(RUNTIME_NAME)
                .setRuntimeVersion(dockerVersion == null ? "" : dockerVersion).setRuntimeApiVersion(API_VERSION).build();
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        return sandboxes.run(request);
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        sandboxes.stop(request.getPodSandboxId());
        return StopPodSandboxResponse.getDefaultInstance();
    }

    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        sandboxes.remove(request.getPodSandboxId());
        return RemovePodSandboxResponse.getDefaultInstance();
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        return sandboxes.status(request);
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        return sandboxes.list(request);
    }

    @Override
    public CreateContainerResponse createContainer(CreateContainerRequest request) {
        return CreateContainerResponse.newBuilder().setContainerId(containers.create(request)).build();
    }

    @Override
    public StartContainerResponse startContainer(StartContainerRequest request) {
        followLogs(containers.start(request.getContainerId()));
        return StartContainerResponse.getDefaultInstance();
    }

    @Override
    public StopContainerResponse stopContainer(StopContainerRequest request) {
        containers.stop(request.getContainerId(), request.getTimeout());
        return StopContainerResponse.getDefaultInstance();
    }

    @Override
    public RemoveContainerResponse removeContainer(RemoveContainerRequest request) {
        Optional<String> removed = containers.remove(request.getContainerId());
        logs.forget(removed.orElse(request.getContainerId()));
        stats.forget(removed.orElse(request.getContainerId()));
        return RemoveContainerResponse.getDefaultInstance();
    }

    @Override
    public ListContainersResponse listContainers(ListContainersRequest request) {
        return containers.list(request);
    }

    @Override
    public ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        ContainerStatusResponse response = containers.status(request);
        if (response.getStatus().getState() == ContainerState.CONTAINER_EXITED) {
            // as Docker reports an exit only after its log copier is done: the log read next holds the last lines
            logs.awaitFinalRead(response.getStatus().getId(), FINAL_LOG_READ_WAIT);
        }
        return response;
    }

    @Override
    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request) {
        containers.update(request.getContainerId(), request.getLinux());
        return UpdateContainerResourcesResponse.getDefaultInstance();
    }

    @Override
    public ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request) {
        String id = containers.inspectContainer(request.getContainerId()).getId();
        logs.reopen(id);
        return ReopenContainerLogResponse.getDefaultInstance();
    }

    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        return exec.run(request);
    }

    @Override
    public ExecResponse exec(ExecRequest request) {
        StreamingServer server = streaming("Exec");
        if (!request.getContainerId().isEmpty() && request.getCmdCount() == 0) {
            throw CriErrors.invalidArgument("Exec in container %s: cmd is empty", request.getContainerId());
        }
        if (!request.getContainerId().isEmpty()) {
            requireRunning(request.getContainerId(), "exec in");
        }
        return server.getExec(request);
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        StreamingServer server = streaming("Attach");
        if (!request.getContainerId().isEmpty()) {
            requireRunning(request.getContainerId(), "attach to");
        }
        return server.getAttach(request);
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        StreamingServer server = streaming("PortForward");
        if (!request.getPodSandboxId().isEmpty()) {
            InspectContainerResponse sandbox = sandboxes.inspectSandbox(request.getPodSandboxId());
            if (!Boolean.TRUE.equals(sandbox.getState().getRunning())) {
                throw CriErrors.failedPrecondition("pod sandbox %s is not running", request.getPodSandboxId());
            }
        }
        for (int port : request.getPortList()) {
            if (port < 1 || port > 65535) {
                throw CriErrors.invalidArgument("PortForward to pod sandbox %s: port %d is not in 1-65535", request.getPodSandboxId(), port);
            }
        }
        return server.getPortForward(request);
    }

    private StreamingServer streaming(String call) {
        if (streaming == null) {
            throw CriErrors.unimplemented("%s: this Docker shim runs without a streaming server", call);
        }
        return streaming;
    }

    /** As cri-dockerd's checkContainerStatus: NOT_FOUND for an unknown container, FAILED_PRECONDITION for a stopped one. */
    private void requireRunning(String containerId, String what) {
        InspectContainerResponse c = containers.inspectContainer(containerId);
        if (!Boolean.TRUE.equals(c.getState().getRunning())) {
            throw CriErrors.failedPrecondition("cannot %s container %s: container not running", what, containerId);
        }
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        return ContainerStatsResponse.newBuilder().setStats(stats.containerStats(request.getContainerId())).build();
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        return stats.listContainerStats(request.getFilter());
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        return PodSandboxStatsResponse.newBuilder().setStats(stats.podSandboxStats(request.getPodSandboxId())).build();
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        return stats.listPodSandboxStats(request.getFilter());
    }

    @Override
    public UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        // The pod CIDR belongs to Docker's bridge here; nothing to apply.
        return UpdateRuntimeConfigResponse.getDefaultInstance();
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        RuntimeCondition.Builder runtime = RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(true);
        RuntimeCondition.Builder network = RuntimeCondition.newBuilder().setType("NetworkReady").setStatus(true);
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            String message = "Docker Engine does not answer: " + DockerErrors.dockerMessage(e);
            runtime.setStatus(false).setReason("DockerDaemonNotReady").setMessage(message);
            network.setStatus(false).setReason("DockerDaemonNotReady").setMessage(message);
        }
        return StatusResponse.newBuilder().setStatus(RuntimeStatus.newBuilder().addConditions(runtime).addConditions(network)).build();
    }

    @Override
    public CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request) {
        throw CriErrors.unimplemented("CheckpointContainer is not supported by the Skiff Docker shim");
    }

    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        StatusRuntimeException e = CriErrors.unimplemented("GetContainerEvents is not supported by the Skiff Docker shim (use PLEG relisting)");
        events.onError(e);
    }

    @Override
    public ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request) {
        return stats.listMetricDescriptors();
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        return stats.listPodSandboxMetrics();
    }

    /** Stops the writable layer measurements. */
    void close() {
        stats.close();
    }

    @Override
    public RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        Info info;
        try {
            info = docker.infoCmd().exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "query", "Docker info");
        }
        String driver = info.getRawValues() == null ? null : String.valueOf(info.getRawValues().get("CgroupDriver"));
        CgroupDriver cgroupDriver = "systemd".equals(driver) ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
        return RuntimeConfigResponse.newBuilder().setLinux(LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(cgroupDriver)).build();
    }
}
