package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** CRI v1 RuntimeService on Docker Engine: sandboxes and containers, plus logs, exec and stats helpers. */
public final class DockerRuntimeService implements RuntimeService {
    private static final Logger log = LoggerFactory.getLogger(DockerRuntimeService.class);
    static final String RUNTIME_NAME = "docker";
    static final String API_VERSION = "v1";
    static final String SHIM_VERSION = "0.1.0";

    private final DockerClient docker;
    private final SandboxService sandboxes;
    private final ContainerService containers;
    private final ContainerLogs logs;
    private final ExecSyncRunner exec;
    private final CgroupStats cgroups;

    public DockerRuntimeService(DockerClient docker, PauseImage pause, ContainerLogs logs, ExecSyncRunner exec, CgroupStats cgroups) {
        this.docker = docker;
        OomScoreAdj oom = OomScoreAdj.fromProc();
        this.logs = logs;
        this.exec = exec;
        this.cgroups = cgroups;
        this.sandboxes = new SandboxService(docker, pause, oom, logs::forget);
        this.containers = new ContainerService(docker, sandboxes, oom);
    }

    /** After a shim restart: copy logs again for every running pod container that has a log path. */
    void resumeLogs() {
        for (Container c : containers.listDocker("", "", Map.of())) {
            if (!"running".equals(c.getState()) || c.getLabels() == null || !c.getLabels().containsKey(KubeLabels.LOG_PATH)) {
                continue;
            }
            try {
                followLogs(ContainerService.logTarget(docker.inspectContainerCmd(c.getId()).exec()));
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
        return RemoveContainerResponse.getDefaultInstance();
    }

    @Override
    public ListContainersResponse listContainers(ListContainersRequest request) {
        return containers.list(request);
    }

    @Override
    public ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        return containers.status(request);
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
        throw CriErrors.unimplemented("Exec (streaming) is not supported by the Skiff Docker shim; use ExecSync");
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        throw CriErrors.unimplemented("Attach (streaming) is not supported by the Skiff Docker shim");
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        throw CriErrors.unimplemented("PortForward (streaming) is not supported by the Skiff Docker shim");
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        InspectContainerResponse r = containers.inspectContainer(request.getContainerId());
        return ContainerStatsResponse.newBuilder().setStats(stats(r)).build();
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        ContainerStatsFilter f = request.getFilter();
        ListContainerStatsResponse.Builder out = ListContainerStatsResponse.newBuilder();
        for (Container c : containers.listDocker(f.getId(), f.getPodSandboxId(), f.getLabelSelectorMap())) {
            if (!"running".equals(c.getState())) {
                continue;
            }
            inspectQuietly(c.getId()).ifPresent(r -> out.addStats(stats(r)));
        }
        return out.build();
    }

    private Optional<InspectContainerResponse> inspectQuietly(String id) {
        try {
            return Optional.of(docker.inspectContainerCmd(id).exec());
        } catch (RuntimeException e) {
            return Optional.empty(); // gone meanwhile
        }
    }

    private ContainerStats stats(InspectContainerResponse r) {
        Map<String, String> labels = r.getConfig().getLabels();
        ContainerStats.Builder b = ContainerStats.newBuilder().setAttributes(ContainerAttributes.newBuilder()
                .setId(r.getId())
                .setMetadata(ContainerService.containerMetadata(r.getName(), labels))
                .putAllLabels(KubeLabels.criLabels(labels))
                .putAllAnnotations(KubeLabels.criAnnotations(labels)));
        usage(r).ifPresent(u -> b.setCpu(cpu(u)).setMemory(memory(u)));
        return b.build();
    }

    private Optional<CgroupStats.Usage> usage(InspectContainerResponse r) {
        Long pid = r.getState().getPidLong();
        if (pid == null || pid <= 0 || !Boolean.TRUE.equals(r.getState().getRunning())) {
            return Optional.empty();
        }
        return cgroups.read(pid.intValue());
    }

    private static CpuUsage cpu(CgroupStats.Usage u) {
        return CpuUsage.newBuilder().setTimestamp(u.timestampNanos())
                .setUsageCoreNanoSeconds(UInt64Value.newBuilder().setValue(u.cpuUsageCoreNanos())).build();
    }

    private static MemoryUsage memory(CgroupStats.Usage u) {
        return MemoryUsage.newBuilder().setTimestamp(u.timestampNanos())
                .setWorkingSetBytes(UInt64Value.newBuilder().setValue(u.memoryWorkingSetBytes()))
                .setUsageBytes(UInt64Value.newBuilder().setValue(u.memoryUsageBytes()))
                .setRssBytes(UInt64Value.newBuilder().setValue(u.memoryRssBytes()))
                .setPageFaults(UInt64Value.newBuilder().setValue(u.pageFaults()))
                .setMajorPageFaults(UInt64Value.newBuilder().setValue(u.majorPageFaults())).build();
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        InspectContainerResponse sandbox = sandboxes.inspectSandbox(request.getPodSandboxId());
        return PodSandboxStatsResponse.newBuilder().setStats(podStats(sandbox)).build();
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        PodSandboxStatsFilter f = request.getFilter();
        ListPodSandboxResponse pods = sandboxes.list(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setId(f.getId()).putAllLabelSelector(f.getLabelSelectorMap())
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))).build());
        ListPodSandboxStatsResponse.Builder out = ListPodSandboxStatsResponse.newBuilder();
        for (PodSandbox pod : pods.getItemsList()) {
            inspectQuietly(pod.getId()).ifPresent(r -> out.addStats(podStats(r)));
        }
        return out.build();
    }

    /** The pod's usage: its infra container plus every running container of it, summed. */
    private PodSandboxStats podStats(InspectContainerResponse sandbox) {
        Map<String, String> labels = sandbox.getConfig().getLabels();
        List<ContainerStats> members = new ArrayList<>();
        for (Container c : containers.listDocker("", sandbox.getId(), Map.of())) {
            if ("running".equals(c.getState())) {
                inspectQuietly(c.getId()).ifPresent(r -> members.add(stats(r)));
            }
        }
        Optional<CgroupStats.Usage> infra = usage(sandbox);
        long ts = infra.map(CgroupStats.Usage::timestampNanos).orElse(ContainerService.nowNanos());
        long cpu = infra.map(CgroupStats.Usage::cpuUsageCoreNanos).orElse(0L);
        long ws = infra.map(CgroupStats.Usage::memoryWorkingSetBytes).orElse(0L);
        long usage = infra.map(CgroupStats.Usage::memoryUsageBytes).orElse(0L);
        long rss = infra.map(CgroupStats.Usage::memoryRssBytes).orElse(0L);
        long faults = infra.map(CgroupStats.Usage::pageFaults).orElse(0L);
        long major = infra.map(CgroupStats.Usage::majorPageFaults).orElse(0L);
        for (ContainerStats s : members) {
            cpu += s.getCpu().getUsageCoreNanoSeconds().getValue();
            ws += s.getMemory().getWorkingSetBytes().getValue();
            usage += s.getMemory().getUsageBytes().getValue();
            rss += s.getMemory().getRssBytes().getValue();
            faults += s.getMemory().getPageFaults().getValue();
            major += s.getMemory().getMajorPageFaults().getValue();
        }
        CgroupStats.Usage total = new CgroupStats.Usage(ts, cpu, ws, usage, rss, faults, major);
        LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder().addAllContainers(members);
        if (infra.isPresent() || !members.isEmpty()) {
            linux.setCpu(cpu(total)).setMemory(memory(total));
        }
        return PodSandboxStats.newBuilder()
                .setAttributes(PodSandboxAttributes.newBuilder()
                        .setId(sandbox.getId())
                        .setMetadata(SandboxService.metadata(sandbox.getName(), labels))
                        .putAllLabels(KubeLabels.criLabels(labels))
                        .putAllAnnotations(KubeLabels.criAnnotations(labels)))
                .setLinux(linux).build();
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
        throw CriErrors.unimplemented("ListMetricDescriptors is not supported by the Skiff Docker shim");
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        throw CriErrors.unimplemented("ListPodSandboxMetrics is not supported by the Skiff Docker shim");
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
