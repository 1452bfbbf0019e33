package dev.skiff.cri.server;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** Serves a {@link RuntimeService} as {@code runtime.v1.RuntimeService}: each RPC delegates to the interface. */
final class RuntimeServiceAdapter extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    private final RuntimeService runtime;
    private final EventStreams events;

    RuntimeServiceAdapter(RuntimeService runtime, EventStreams events) {
        this.runtime = runtime;
        this.events = events;
    }

    /**
     * Server-streaming: the runtime gets the (thread-safe) stream and keeps it as long as it
     * likes. It runs in the call's gRPC Context, which is cancelled when the client cancels
     * or the stream ends, and onNext then throws CANCELLED: either way the runtime stops.
     */
    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> response) {
        StreamObserver<ContainerEventResponse> stream =
                events.open((ServerCallStreamObserver<ContainerEventResponse>) response);
        try {
            runtime.getContainerEvents(request, stream);
        } catch (RuntimeException e) {
            stream.onError(e);
        }
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
        CallErrors.unary("Version", request, response, runtime::version);
    }

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> response) {
        CallErrors.unary("RunPodSandbox", request, response, runtime::runPodSandbox);
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> response) {
        CallErrors.unary("StopPodSandbox", request, response, runtime::stopPodSandbox);
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> response) {
        CallErrors.unary("RemovePodSandbox", request, response, runtime::removePodSandbox);
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> response) {
        CallErrors.unary("PodSandboxStatus", request, response, runtime::podSandboxStatus);
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> response) {
        CallErrors.unary("ListPodSandbox", request, response, runtime::listPodSandbox);
    }

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> response) {
        CallErrors.unary("CreateContainer", request, response, runtime::createContainer);
    }

    @Override
    public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> response) {
        CallErrors.unary("StartContainer", request, response, runtime::startContainer);
    }

    @Override
    public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
        CallErrors.unary("StopContainer", request, response, runtime::stopContainer);
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> response) {
        CallErrors.unary("RemoveContainer", request, response, runtime::removeContainer);
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
        CallErrors.unary("ListContainers", request, response, runtime::listContainers);
    }

    @Override
    public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> response) {
        CallErrors.unary("ContainerStatus", request, response, runtime::containerStatus);
    }

    @Override
    public void updateContainerResources(UpdateContainerResourcesRequest request, StreamObserver<UpdateContainerResourcesResponse> response) {
        CallErrors.unary("UpdateContainerResources", request, response, runtime::updateContainerResources);
    }

    @Override
    public void reopenContainerLog(ReopenContainerLogRequest request, StreamObserver<ReopenContainerLogResponse> response) {
        CallErrors.unary("ReopenContainerLog", request, response, runtime::reopenContainerLog);
    }

    @Override
    public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> response) {
        CallErrors.unary("ExecSync", request, response, runtime::execSync);
    }

    @Override
    public void exec(ExecRequest request, StreamObserver<ExecResponse> response) {
        CallErrors.unary("Exec", request, response, runtime::exec);
    }

    @Override
    public void attach(AttachRequest request, StreamObserver<AttachResponse> response) {
        CallErrors.unary("Attach", request, response, runtime::attach);
    }

    @Override
    public void portForward(PortForwardRequest request, StreamObserver<PortForwardResponse> response) {
        CallErrors.unary("PortForward", request, response, runtime::portForward);
    }

    @Override
    public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> response) {
        CallErrors.unary("ContainerStats", request, response, runtime::containerStats);
    }

    @Override
    public void listContainerStats(ListContainerStatsRequest request, StreamObserver<ListContainerStatsResponse> response) {
        CallErrors.unary("ListContainerStats", request, response, runtime::listContainerStats);
    }

    @Override
    public void podSandboxStats(PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> response) {
        CallErrors.unary("PodSandboxStats", request, response, runtime::podSandboxStats);
    }

    @Override
    public void listPodSandboxStats(ListPodSandboxStatsRequest request, StreamObserver<ListPodSandboxStatsResponse> response) {
        CallErrors.unary("ListPodSandboxStats", request, response, runtime::listPodSandboxStats);
    }

    @Override
    public void updateRuntimeConfig(UpdateRuntimeConfigRequest request, StreamObserver<UpdateRuntimeConfigResponse> response) {
        CallErrors.unary("UpdateRuntimeConfig", request, response, runtime::updateRuntimeConfig);
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
        CallErrors.unary("Status", request, response, runtime::status);
    }

    @Override
    public void checkpointContainer(CheckpointContainerRequest request, StreamObserver<CheckpointContainerResponse> response) {
        CallErrors.unary("CheckpointContainer", request, response, runtime::checkpointContainer);
    }

    @Override
    public void listMetricDescriptors(ListMetricDescriptorsRequest request, StreamObserver<ListMetricDescriptorsResponse> response) {
        CallErrors.unary("ListMetricDescriptors", request, response, runtime::listMetricDescriptors);
    }

    @Override
    public void listPodSandboxMetrics(ListPodSandboxMetricsRequest request, StreamObserver<ListPodSandboxMetricsResponse> response) {
        CallErrors.unary("ListPodSandboxMetrics", request, response, runtime::listPodSandboxMetrics);
    }

    @Override
    public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> response) {
        CallErrors.unary("RuntimeConfig", request, response, runtime::runtimeConfig);
    }
}
