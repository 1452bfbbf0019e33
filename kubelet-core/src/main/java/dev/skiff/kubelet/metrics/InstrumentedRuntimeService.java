package dev.skiff.kubelet.metrics;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.stub.StreamObserver;

/**
 * Upstream's instrumentedRuntimeService: every CRI runtime call, in-process shim or remote, counted and timed by
 * {@code operation_type} (upstream's names, e.g. {@code list_podsandbox}, {@code container_status}), failures counted
 * apart. Answers and failures pass through unchanged.
 */
public final class InstrumentedRuntimeService implements RuntimeService {
    private final RuntimeService delegate;
    private final RuntimeOperations metrics;

    public InstrumentedRuntimeService(RuntimeService delegate, RuntimeOperations metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        return metrics.call("version", () -> delegate.version(request));
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        return metrics.call("run_podsandbox", () -> delegate.runPodSandbox(request));
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        return metrics.call("stop_podsandbox", () -> delegate.stopPodSandbox(request));
    }

    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        return metrics.call("remove_podsandbox", () -> delegate.removePodSandbox(request));
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        return metrics.call("podsandbox_status", () -> delegate.podSandboxStatus(request));
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        return metrics.call("list_podsandbox", () -> delegate.listPodSandbox(request));
    }

    @Override
    public CreateContainerResponse createContainer(CreateContainerRequest request) {
        return metrics.call("create_container", () -> delegate.createContainer(request));
    }

    @Override
    public StartContainerResponse startContainer(StartContainerRequest request) {
        return metrics.call("start_container", () -> delegate.startContainer(request));
    }

    @Override
    public StopContainerResponse stopContainer(StopContainerRequest request) {
        return metrics.call("stop_container", () -> delegate.stopContainer(request));
    }

    @Override
    public RemoveContainerResponse removeContainer(RemoveContainerRequest request) {
        return metrics.call("remove_container", () -> delegate.removeContainer(request));
    }

    @Override
    public ListContainersResponse listContainers(ListContainersRequest request) {
        return metrics.call("list_containers", () -> delegate.listContainers(request));
    }

    @Override
    public ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        return metrics.call("container_status", () -> delegate.containerStatus(request));
    }

    @Override
    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request) {
        return metrics.call("update_container", () -> delegate.updateContainerResources(request));
    }

    @Override
    public ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request) {
        return metrics.call("reopen_container_log", () -> delegate.reopenContainerLog(request));
    }

    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        return metrics.call("exec_sync", () -> delegate.execSync(request));
    }

    @Override
    public ExecResponse exec(ExecRequest request) {
        return metrics.call("exec", () -> delegate.exec(request));
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        return metrics.call("attach", () -> delegate.attach(request));
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        return metrics.call("port_forward", () -> delegate.portForward(request));
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        return metrics.call("container_stats", () -> delegate.containerStats(request));
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        return metrics.call("list_container_stats", () -> delegate.listContainerStats(request));
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        return metrics.call("podsandbox_stats", () -> delegate.podSandboxStats(request));
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        return metrics.call("list_podsandbox_stats", () -> delegate.listPodSandboxStats(request));
    }

    @Override
    public UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        return metrics.call("update_runtime_config", () -> delegate.updateRuntimeConfig(request));
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        return metrics.call("status", () -> delegate.status(request));
    }

    @Override
    public CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request) {
        return metrics.call("checkpoint_container", () -> delegate.checkpointContainer(request));
    }

    @Override
    public ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request) {
        return metrics.call("list_metric_descriptors", () -> delegate.listMetricDescriptors(request));
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        return metrics.call("list_podsandbox_metrics", () -> delegate.listPodSandboxMetrics(request));
    }

    @Override
    public RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        return metrics.call("runtime_config", () -> delegate.runtimeConfig(request));
    }

    /** Counted when the call returns (the stream itself goes on). */
    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        metrics.call("get_container_events", () -> {
            delegate.getContainerEvents(request, events);
            return null;
        });
    }
}
