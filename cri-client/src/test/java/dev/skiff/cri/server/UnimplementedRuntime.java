package dev.skiff.cri.server;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.stub.StreamObserver;

/** Test base: every RPC answers UNIMPLEMENTED; fakes override what they need. */
class UnimplementedRuntime implements RuntimeService {
    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        throw CriErrors.unimplemented("getContainerEvents");
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        throw CriErrors.unimplemented("version");
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        throw CriErrors.unimplemented("runPodSandbox");
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        throw CriErrors.unimplemented("stopPodSandbox");
    }

    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        throw CriErrors.unimplemented("removePodSandbox");
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        throw CriErrors.unimplemented("podSandboxStatus");
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        throw CriErrors.unimplemented("listPodSandbox");
    }

    @Override
    public CreateContainerResponse createContainer(CreateContainerRequest request) {
        throw CriErrors.unimplemented("createContainer");
    }

    @Override
    public StartContainerResponse startContainer(StartContainerRequest request) {
        throw CriErrors.unimplemented("startContainer");
    }

    @Override
    public StopContainerResponse stopContainer(StopContainerRequest request) {
        throw CriErrors.unimplemented("stopContainer");
    }

    @Override
    public RemoveContainerResponse removeContainer(RemoveContainerRequest request) {
        throw CriErrors.unimplemented("removeContainer");
    }

    @Override
    public ListContainersResponse listContainers(ListContainersRequest request) {
        throw CriErrors.unimplemented("listContainers");
    }

    @Override
    public ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        throw CriErrors.unimplemented("containerStatus");
    }

    @Override
    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request) {
        throw CriErrors.unimplemented("updateContainerResources");
    }

    @Override
    public ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request) {
        throw CriErrors.unimplemented("reopenContainerLog");
    }

    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        throw CriErrors.unimplemented("execSync");
    }

    @Override
    public ExecResponse exec(ExecRequest request) {
        throw CriErrors.unimplemented("exec");
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        throw CriErrors.unimplemented("attach");
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        throw CriErrors.unimplemented("portForward");
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        throw CriErrors.unimplemented("containerStats");
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        throw CriErrors.unimplemented("listContainerStats");
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        throw CriErrors.unimplemented("podSandboxStats");
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        throw CriErrors.unimplemented("listPodSandboxStats");
    }

    @Override
    public UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        throw CriErrors.unimplemented("updateRuntimeConfig");
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        throw CriErrors.unimplemented("status");
    }

    @Override
    public CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request) {
        throw CriErrors.unimplemented("checkpointContainer");
    }

    @Override
    public ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request) {
        throw CriErrors.unimplemented("listMetricDescriptors");
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        throw CriErrors.unimplemented("listPodSandboxMetrics");
    }

    @Override
    public RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        throw CriErrors.unimplemented("runtimeConfig");
    }
}
