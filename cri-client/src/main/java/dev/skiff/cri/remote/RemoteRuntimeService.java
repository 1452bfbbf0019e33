package dev.skiff.cri.remote;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link RuntimeService} over gRPC. Each unary call gets its own deadline; failures are the
 * stub's {@link io.grpc.StatusRuntimeException}, unchanged, so callers see the same codes
 * as in-process (NOT_FOUND, INVALID_ARGUMENT, DEADLINE_EXCEEDED, and UNAVAILABLE when the
 * runtime is not there).
 */
public final class RemoteRuntimeService implements RuntimeService {
    private final Channel channel;
    private final Duration callTimeout;

    RemoteRuntimeService(Channel channel, Duration callTimeout) {
        this.channel = channel;
        this.callTimeout = callTimeout;
    }

    private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub(Duration timeout) {
        RuntimeServiceGrpc.RuntimeServiceBlockingStub stub = RuntimeServiceGrpc.newBlockingStub(channel);
        return timeout == null ? stub : stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * As the kubelet does: a command with a timeout gets that timeout plus the call timeout
     * (room for the runtime to kill it and answer); a command without one gets no deadline,
     * since it may legitimately run for as long as it likes.
     */
    Duration execSyncTimeout(ExecSyncRequest request) {
        return request.getTimeout() > 0 ? Duration.ofSeconds(request.getTimeout()).plus(callTimeout) : null;
    }

    /**
     * Server-streaming, no deadline: the stream lasts until the runtime ends it or the caller
     * cancels the gRPC {@link io.grpc.Context} this is called in (or, with a
     * {@link io.grpc.stub.ClientResponseObserver}, cancels the call it is handed).
     * Returns at once; events arrive on gRPC's threads.
     */
    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        RuntimeServiceGrpc.newStub(channel).getContainerEvents(request, events);
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        return stub(callTimeout).version(request);
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        return stub(callTimeout).runPodSandbox(request);
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        return stub(callTimeout).stopPodSandbox(request);
    }

    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        return stub(callTimeout).removePodSandbox(request);
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        return stub(callTimeout).podSandboxStatus(request);
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        return stub(callTimeout).listPodSandbox(request);
    }

    @Override
    public CreateContainerResponse createContainer(CreateContainerRequest request) {
        return stub(callTimeout).createContainer(request);
    }

    @Override
    public StartContainerResponse startContainer(StartContainerRequest request) {
        return stub(callTimeout).startContainer(request);
    }

    @Override
    public StopContainerResponse stopContainer(StopContainerRequest request) {
        // as upstream's remote runtime: the stop may take its whole grace period, then the call timeout on top
        return stub(callTimeout == null ? null : callTimeout.plusSeconds(Math.max(0, request.getTimeout())))
                .stopContainer(request);
    }

    @Override
    public RemoveContainerResponse removeContainer(RemoveContainerRequest request) {
        return stub(callTimeout).removeContainer(request);
    }

    @Override
    public ListContainersResponse listContainers(ListContainersRequest request) {
        return stub(callTimeout).listContainers(request);
    }

    @Override
    public ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        return stub(callTimeout).containerStatus(request);
    }

    @Override
    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request) {
        return stub(callTimeout).updateContainerResources(request);
    }

    @Override
    public ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request) {
        return stub(callTimeout).reopenContainerLog(request);
    }

    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        return stub(execSyncTimeout(request)).execSync(request);
    }

    @Override
    public ExecResponse exec(ExecRequest request) {
        return stub(callTimeout).exec(request);
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        return stub(callTimeout).attach(request);
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        return stub(callTimeout).portForward(request);
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        return stub(callTimeout).containerStats(request);
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        return stub(callTimeout).listContainerStats(request);
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        return stub(callTimeout).podSandboxStats(request);
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        return stub(callTimeout).listPodSandboxStats(request);
    }

    @Override
    public UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        return stub(callTimeout).updateRuntimeConfig(request);
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        return stub(callTimeout).status(request);
    }

    @Override
    public CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request) {
        return stub(callTimeout).checkpointContainer(request);
    }

    @Override
    public ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request) {
        return stub(callTimeout).listMetricDescriptors(request);
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        return stub(callTimeout).listPodSandboxMetrics(request);
    }

    @Override
    public RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        return stub(callTimeout).runtimeConfig(request);
    }
}
