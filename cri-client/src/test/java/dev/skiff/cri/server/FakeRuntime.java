package dev.skiff.cri.server;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.*;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** In-memory pods only; a few RPCs misbehave on purpose so tests can see errors cross the wire. */
final class FakeRuntime extends UnimplementedRuntime {
    final Map<String, PodSandboxStatus> pods = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** Status() blocks until released (or 30 s), for deadline tests. */
    final CountDownLatch statusGate = new CountDownLatch(1);
    volatile boolean hangStatus;
    /** Set by getContainerEvents: the stream the server handed over. */
    volatile StreamObserver<ContainerEventResponse> events;
    final CountDownLatch eventsOpened = new CountDownLatch(1);
    /** Counted down when the events call's gRPC Context is cancelled (client went away). */
    final CountDownLatch eventsCancelled = new CountDownLatch(1);

    @Override
    public VersionResponse version(VersionRequest request) {
        return VersionResponse.newBuilder().setVersion("0.1.0").setRuntimeName("fake")
                .setRuntimeVersion("1.2.3").setRuntimeApiVersion("v1").build();
    }

    @Override
    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        PodSandboxMetadata meta = request.getConfig().getMetadata();
        if (meta.getName().isEmpty()) {
            throw CriErrors.invalidArgument("pod sandbox config has no metadata.name");
        }
        String id = "pod-" + ids.incrementAndGet();
        pods.put(id, PodSandboxStatus.newBuilder().setId(id).setMetadata(meta)
                .setState(PodSandboxState.SANDBOX_READY).putAllLabels(request.getConfig().getLabelsMap()).build());
        return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
    }

    @Override
    public PodSandboxStatusResponse podSandboxStatus(PodSandboxStatusRequest request) {
        PodSandboxStatus status = pods.get(request.getPodSandboxId());
        if (status == null) {
            throw CriErrors.notFound("pod sandbox %s not found", request.getPodSandboxId());
        }
        return PodSandboxStatusResponse.newBuilder().setStatus(status).build();
    }

    @Override
    public ListPodSandboxResponse listPodSandbox(ListPodSandboxRequest request) {
        ListPodSandboxResponse.Builder out = ListPodSandboxResponse.newBuilder();
        pods.values().forEach(s -> out.addItems(PodSandbox.newBuilder().setId(s.getId())
                .setMetadata(s.getMetadata()).setState(s.getState()).putAllLabels(s.getLabelsMap())));
        return out.build();
    }

    @Override
    public StopPodSandboxResponse stopPodSandbox(StopPodSandboxRequest request) {
        pods.computeIfPresent(request.getPodSandboxId(),
                (id, s) -> s.toBuilder().setState(PodSandboxState.SANDBOX_NOTREADY).build());
        return StopPodSandboxResponse.getDefaultInstance();
    }

    /** A bug in the runtime: not a gRPC status. */
    @Override
    public RemovePodSandboxResponse removePodSandbox(RemovePodSandboxRequest request) {
        throw new IllegalStateException("fake runtime exploded removing " + request.getPodSandboxId());
    }

    /** Like a real runtime whose command ran out of time. */
    @Override
    public ExecSyncResponse execSync(ExecSyncRequest request) {
        if (request.getCmdList().equals(java.util.List.of("sleep", "100"))) {
            throw CriErrors.deadlineExceeded("command timed out after %d s", request.getTimeout());
        }
        return ExecSyncResponse.newBuilder().setExitCode(0)
                .setStdout(com.google.protobuf.ByteString.copyFromUtf8(String.join(" ", request.getCmdList()))).build();
    }

    @Override
    public StatusResponse status(StatusRequest request) {
        if (hangStatus) {
            try {
                statusGate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return StatusResponse.newBuilder().setStatus(RuntimeStatus.newBuilder()
                .addConditions(RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(true))).build();
    }

    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> events) {
        Context.current().addListener(ctx -> eventsCancelled.countDown(), Runnable::run);
        this.events = events;
        eventsOpened.countDown();
    }
}
