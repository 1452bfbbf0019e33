package dev.skiff.cri;

import dev.skiff.cri.v1.*;
import io.grpc.stub.StreamObserver;

/**
 * CRI v1 {@code runtime.v1.RuntimeService}: one method per RPC, proto messages in and out.
 *
 * <p>Failures are thrown as {@link io.grpc.StatusRuntimeException} carrying the code a remote
 * caller would see (NOT_FOUND for an unknown id, INVALID_ARGUMENT for a bad request, …), so
 * in-process and remote callers handle errors the same way.
 */
public interface RuntimeService {
    VersionResponse version(VersionRequest request);

    RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request);

    StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request);

    RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request);

    PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request);

    ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request);

    CreateContainerResponse createContainer(CreateContainerRequest request);

    StartContainerResponse startContainer(StartContainerRequest request);

    StopContainerResponse stopContainer(StopContainerRequest request);

    RemoveContainerResponse removeContainer(RemoveContainerRequest request);

    ListContainersResponse listContainers(ListContainersRequest request);

    ContainerStatusResponse containerStatus(ContainerStatusRequest request);

    UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request);

    ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request);

    ExecSyncResponse execSync(ExecSyncRequest request);

    ExecResponse exec(ExecRequest request);

    AttachResponse attach(AttachRequest request);

    PortForwardResponse portForward(PortForwardRequest request);

    ContainerStatsResponse containerStats(ContainerStatsRequest request);

    ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request);

    PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request);

    ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request);

    UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request);

    StatusResponse status(StatusRequest request);

    CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request);

    /**
     * Server-streaming: events go to {@code events} until the caller cancels (for a remote
     * call, by cancelling the gRPC context) or the runtime ends the stream.
     */
    void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events);

    ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request);

    ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request);

    RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request);
}
