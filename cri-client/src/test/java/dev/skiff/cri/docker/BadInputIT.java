package dev.skiff.cri.docker;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.skiff.cri.docker.PodFixture.assertCode;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Each bad request fails with the right gRPC code and a message naming the object, and leaves
 * no container behind.
 */
@Timeout(120)
class BadInputIT {
    private static final String ABSENT_IMAGE = "skiff-test/absent:never";
    @TempDir
    Path logs;
    @TempDir
    Path host;
    private PodFixture pods;
    private RuntimeService rt;
    private PodSandboxConfig sandbox;
    private String sandboxId;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-bad-it", logs);
        rt = pods.rt();
        sandbox = pods.sandbox("victim").build();
        sandboxId = pods.run(sandbox);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void unknownSandbox() {
        String unknown = PodFixture.randomId();
        StatusRuntimeException e = assertCode(Status.Code.NOT_FOUND, () -> pods.create(unknown, sandbox,
                pods.container(sandbox, "app", "true").build()));
        assertMentions(e, unknown);
        assertOnlyTheSandboxIsLeft();
    }

    @Test
    void absentImage() {
        ContainerConfig config = pods.container(sandbox, "app", "true").setImage(ImageSpec.newBuilder().setImage(ABSENT_IMAGE)).build();
        StatusRuntimeException e = assertCode(Status.Code.NOT_FOUND, () -> pods.create(sandboxId, sandbox, config));
        assertMentions(e, ABSENT_IMAGE);
        assertOnlyTheSandboxIsLeft();
    }

    @Test
    void mountWhoseHostPathDoesNotExist() {
        Path missing = host.resolve("does/not/exist");
        ContainerConfig config = pods.container(sandbox, "app", "true")
                .addMounts(Mount.newBuilder().setHostPath(missing.toString()).setContainerPath("/data"))
                .build();
        StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, config));
        assertMentions(e, missing.toString());
        assertFalse(Files.exists(missing), "Docker must not create the missing host path");
        assertFalse(Files.exists(host.resolve("does")), "nor any of its parents");
        assertOnlyTheSandboxIsLeft();
    }

    @Test
    void malformedContainerRequests() {
        ContainerConfig good = pods.container(sandbox, "app", "true").build();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, good.toBuilder().clearMetadata().build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox,
                good.toBuilder().setMetadata(ContainerMetadata.newBuilder().setName("")).build()));
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, good.toBuilder().clearImage().build())),
                "app");
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox,
                good.toBuilder().setImage(ImageSpec.newBuilder().setImage("")).build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> rt.createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setSandboxConfig(sandbox).build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create("", sandbox, good));
        assertOnlyTheSandboxIsLeft();
    }

    @Test
    void malformedSandboxRequests() {
        assertCode(Status.Code.INVALID_ARGUMENT, () -> rt.runPodSandbox(RunPodSandboxRequest.getDefaultInstance()));
        PodSandboxConfig good = pods.sandbox().build();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.run(good.toBuilder().clearMetadata().build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.run(good.toBuilder()
                .setMetadata(good.getMetadata().toBuilder().setUid("")).build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.run(good.toBuilder()
                .setMetadata(good.getMetadata().toBuilder().setName("")).build()));
        assertOnlyTheSandboxIsLeft();
    }

    /** Such a name could not be parsed back from Docker (cri-dockerd's scheme splits on '_'). */
    @Test
    void underscoresInNamesAreRefused() {
        PodSandboxConfig good = pods.sandbox().build();
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.run(good.toBuilder()
                .setMetadata(good.getMetadata().toBuilder().setName("my_pod")).build())), "my_pod");
        ContainerConfig ctr = pods.container(sandbox, "my_ctr", "true").build();
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, ctr)), "my_ctr");
        assertOnlyTheSandboxIsLeft();
    }

    @Test
    void unknownIdsAreNotFoundAndNamed() {
        String unknown = PodFixture.randomId();
        List<Runnable> calls = List.of(
                () -> pods.status(unknown),
                () -> pods.sandboxStatus(unknown),
                () -> rt.startContainer(StartContainerRequest.newBuilder().setContainerId(unknown).build()),
                () -> pods.exec(unknown, "true"),
                () -> rt.containerStats(ContainerStatsRequest.newBuilder().setContainerId(unknown).build()),
                () -> rt.podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(unknown).build()),
                () -> rt.updateContainerResources(UpdateContainerResourcesRequest.newBuilder()
                        .setContainerId(unknown).setLinux(LinuxContainerResources.newBuilder().setCpuShares(2)).build()),
                () -> rt.reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(unknown).build()),
                () -> pods.create(unknown, sandbox, pods.container(sandbox, "app", "true").build()));
        for (Runnable call : calls) {
            assertMentions(assertCode(Status.Code.NOT_FOUND, call), unknown);
        }
        // A sandbox is not a container, nor a container a sandbox.
        assertMentions(assertCode(Status.Code.NOT_FOUND, () -> pods.status(sandboxId)), sandboxId);
        assertOnlyTheSandboxIsLeft();
    }

    /** The idempotent calls succeed on unknown ids, and on another kind's id they leave that object alone. */
    @Test
    void stopAndRemoveSucceedOnUnknownIdsAndLeaveOtherKindsAlone() {
        String unknown = PodFixture.randomId();
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(unknown).setTimeout(0).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());

        String ctr = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000").build());
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(sandboxId).setTimeout(0).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(sandboxId).build());
        assertEquals(PodSandboxState.SANDBOX_READY, pods.sandboxStatus(sandboxId).getState(), "a sandbox is not a container");
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(ctr).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(ctr).build());
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(ctr).getState(), "a container is not a sandbox");
        assertEquals(2, pods.dockerContainers().size());
    }

    @Test
    void unimplementedCallsSaySo() {
        String any = PodFixture.randomId();
        assertCode(Status.Code.UNIMPLEMENTED, () -> rt.checkpointContainer(CheckpointContainerRequest.newBuilder().setContainerId(any).build()));
    }

    @Test
    void streamingCallsRefuseBadRequestsBeforeHandingOutAUrl() {
        String any = PodFixture.randomId();
        assertMentions(assertCode(Status.Code.NOT_FOUND, () -> rt.exec(ExecRequest.newBuilder().setContainerId(any).addCmd("sh").setStdout(true).build())), any);
        assertMentions(assertCode(Status.Code.NOT_FOUND, () -> rt.attach(AttachRequest.newBuilder().setContainerId(any).setStdout(true).build())), any);
        assertMentions(assertCode(Status.Code.NOT_FOUND, () -> rt.portForward(PortForwardRequest.newBuilder().setPodSandboxId(any).addPort(80).build())), any);
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> rt.exec(ExecRequest.newBuilder().addCmd("sh").setStdout(true).build())), "container_id");
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> rt.portForward(PortForwardRequest.getDefaultInstance())), "pod_sandbox_id");
        assertMentions(assertCode(Status.Code.INVALID_ARGUMENT, () -> rt.portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId).addPort(70000).build())), "70000");
    }

    @Test
    void containerEventsAreStreamedOrRefusedCleanly() throws Exception {
        var done = new java.util.concurrent.CompletableFuture<Throwable>();
        StreamObserver<ContainerEventResponse> observer = new StreamObserver<>() {
            @Override
            public void onNext(ContainerEventResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                done.complete(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
        try {
            rt.getContainerEvents(GetEventsRequest.getDefaultInstance(), observer);
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
            return;
        }
        // Either it streams (nothing more to check here) or it refused through the observer.
        Throwable t = done.getNow(null);
        if (t != null) {
            assertEquals(Status.Code.UNIMPLEMENTED, Status.fromThrowable(t).getCode(), t.toString());
        }
    }

    private static void assertMentions(StatusRuntimeException e, String what) {
        String d = e.getStatus().getDescription();
        assertNotNull(d, "no message in " + e.getStatus());
        assertTrue(d.contains(what), "message should name " + what + ": " + d);
    }

    private void assertOnlyTheSandboxIsLeft() {
        List<String> ids = pods.dockerContainers().stream().map(com.github.dockerjava.api.model.Container::getId).toList();
        assertEquals(List.of(sandboxId), ids, "nothing half-created is left behind");
    }
}
