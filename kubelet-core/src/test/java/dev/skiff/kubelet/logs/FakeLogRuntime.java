package dev.skiff.kubelet.logs;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A RuntimeService that knows containers (id, state, log path) and reopens their logs the way the
 * Docker shim does (a fresh file at the same path); every other call throws.
 */
final class FakeLogRuntime implements RuntimeService {
    private record Entry(ContainerState state, String logPath) {}

    private final Map<String, Entry> containers = new LinkedHashMap<>();
    /** Container ids whose ReopenContainerLog fails. */
    final Set<String> failReopen = ConcurrentHashMap.newKeySet();
    /** Container ids whose ContainerStatus fails with NOT_FOUND. */
    final Set<String> failStatus = ConcurrentHashMap.newKeySet();
    final List<String> reopened = new CopyOnWriteArrayList<>();
    final List<ListContainersRequest> listRequests = new CopyOnWriteArrayList<>();

    synchronized void add(String id, ContainerState state, Path logPath) {
        containers.put(id, new Entry(state, logPath == null ? "" : logPath.toString()));
    }

    @Override
    public synchronized ListContainersResponse listContainers(ListContainersRequest request) {
        listRequests.add(request);
        ListContainersResponse.Builder b = ListContainersResponse.newBuilder();
        // Ignores the state filter on purpose: the manager must not rotate non-running containers either way.
        containers.forEach((id, e) -> b.addContainers(Container.newBuilder().setId(id).setState(e.state())
                .putLabels("io.kubernetes.pod.name", "web").putLabels("io.kubernetes.pod.namespace", "default")
                .putLabels("io.kubernetes.pod.uid", "uid-" + id)));
        return b.build();
    }

    @Override
    public synchronized ContainerStatusResponse containerStatus(ContainerStatusRequest request) {
        Entry e = containers.get(request.getContainerId());
        if (e == null || failStatus.contains(request.getContainerId())) {
            throw Status.NOT_FOUND.withDescription("no container " + request.getContainerId()).asRuntimeException();
        }
        return ContainerStatusResponse.newBuilder().setStatus(ContainerStatus.newBuilder()
                .setId(request.getContainerId()).setState(e.state()).setLogPath(e.logPath())).build();
    }

    @Override
    public synchronized ReopenContainerLogResponse reopenContainerLog(ReopenContainerLogRequest request) {
        String id = request.getContainerId();
        reopened.add(id);
        if (failReopen.contains(id)) {
            throw Status.INTERNAL.withDescription("cannot reopen log of " + id).asRuntimeException();
        }
        Path path = Path.of(containers.get(id).logPath());
        try {
            if (!Files.exists(path)) {
                Files.createFile(path);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return ReopenContainerLogResponse.getDefaultInstance();
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        throw new UnsupportedOperationException("version");
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        throw new UnsupportedOperationException("runPodSandbox");
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        throw new UnsupportedOperationException("stopPodSandbox");
    }

    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        throw new UnsupportedOperationException("removePodSandbox");
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        throw new UnsupportedOperationException("podSandboxStatus");
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        throw new UnsupportedOperationException("listPodSandbox");
    }

    @Override
    public CreateContainerResponse createContainer(CreateContainerRequest request) {
        throw new UnsupportedOperationException("createContainer");
    }

    @Override
    public StartContainerResponse startContainer(StartContainerRequest request) {
        throw new UnsupportedOperationException("startContainer");
    }

    @Override
    public StopContainerResponse stopContainer(StopContainerRequest request) {
        throw new UnsupportedOperationException("stopContainer");
    }

    @Override
    public RemoveContainerResponse removeContainer(RemoveContainerRequest request) {
        throw new UnsupportedOperationException("removeContainer");
    }

    @Override
    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest request) {
        throw new UnsupportedOperationException("updateContainerResources");
    }

    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        throw new UnsupportedOperationException("execSync");
    }

    @Override
    public ExecResponse exec(ExecRequest request) {
        throw new UnsupportedOperationException("exec");
    }

    @Override
    public AttachResponse attach(AttachRequest request) {
        throw new UnsupportedOperationException("attach");
    }

    @Override
    public PortForwardResponse portForward(PortForwardRequest request) {
        throw new UnsupportedOperationException("portForward");
    }

    @Override
    public ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        throw new UnsupportedOperationException("containerStats");
    }

    @Override
    public ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        throw new UnsupportedOperationException("listContainerStats");
    }

    @Override
    public PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        throw new UnsupportedOperationException("podSandboxStats");
    }

    @Override
    public ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        throw new UnsupportedOperationException("listPodSandboxStats");
    }

    @Override
    public UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        throw new UnsupportedOperationException("updateRuntimeConfig");
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        throw new UnsupportedOperationException("status");
    }

    @Override
    public CheckpointContainerResponse checkpointContainer(CheckpointContainerRequest request) {
        throw new UnsupportedOperationException("checkpointContainer");
    }

    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        throw new UnsupportedOperationException("getContainerEvents");
    }

    @Override
    public ListMetricDescriptorsResponse listMetricDescriptors(ListMetricDescriptorsRequest request) {
        throw new UnsupportedOperationException("listMetricDescriptors");
    }

    @Override
    public ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        throw new UnsupportedOperationException("listPodSandboxMetrics");
    }

    @Override
    public RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        throw new UnsupportedOperationException("runtimeConfig");
    }
}
