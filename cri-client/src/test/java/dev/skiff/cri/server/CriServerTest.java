package dev.skiff.cri.server;

import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.*;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** CriServer and RemoteCriRuntime against each other over a real Unix socket, with in-memory fakes behind. */
class CriServerTest {
    @TempDir
    Path dir;
    Path socket;
    FakeRuntime runtime;
    FakeImages images;
    CriServer server;
    RemoteCriRuntime client;

    @BeforeEach
    void start() {
        socket = dir.resolve("run/cri.sock");
        runtime = new FakeRuntime();
        images = new FakeImages();
        server = CriServer.start(socket, runtime, images);
        client = RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        runtime.statusGate.countDown();
        client.close();
        server.close();
    }

    private static PodSandboxConfig pod(String name) {
        return PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
                .setName(name).setNamespace("ns1").setUid("uid-" + name).setAttempt(2)).putLabels("app", name).build();
    }

    @Test
    void roundTripsRuntimeAndImageCalls() {
        assertTrue(Files.exists(socket), "socket file created, parent directories too");

        VersionResponse version = client.runtime().version(VersionRequest.newBuilder().setVersion("0.1.0").build());
        assertEquals("fake", version.getRuntimeName());
        assertEquals("1.2.3", version.getRuntimeVersion());
        assertEquals("v1", version.getRuntimeApiVersion());

        String id = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod("web")).build())
                .getPodSandboxId();
        assertEquals("pod-1", id);
        assertTrue(runtime.pods.containsKey(id), "the call reached the server-side runtime");

        PodSandboxStatus status = client.runtime().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
        assertEquals(PodSandboxState.SANDBOX_READY, status.getState());
        assertEquals("ns1", status.getMetadata().getNamespace());
        assertEquals(2, status.getMetadata().getAttempt());

        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        List<PodSandbox> items = client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
        assertEquals(1, items.size());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, items.get(0).getState());
        assertEquals("web", items.get(0).getLabelsMap().get("app"));

        ExecSyncResponse exec = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId("c1")
                .addCmd("echo").addCmd("hi").setTimeout(3).build());
        assertEquals("echo hi", exec.getStdout().toStringUtf8());

        assertTrue(client.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditions(0).getStatus());

        ImageSpec spec = ImageSpec.newBuilder().setImage("busybox:1").build();
        assertFalse(client.images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).hasImage(),
                "absent image is an empty response");
        String ref = client.images().pullImage(PullImageRequest.newBuilder().setImage(spec).build()).getImageRef();
        assertTrue(ref.startsWith("sha256:"));
        Image image = client.images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).getImage();
        assertEquals(ref, image.getId());
        assertEquals(List.of("busybox:1"), image.getRepoTagsList());
        assertEquals(1, client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        assertEquals(42, client.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance())
                .getImageFilesystems(0).getUsedBytes().getValue());
        client.images().removeImage(RemoveImageRequest.newBuilder().setImage(spec).build());
        assertTrue(images.images.isEmpty());
    }

    @Test
    void statusCodesAndDescriptionsCrossTheWire() {
        StatusRuntimeException notFound = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode());
        assertEquals("pod sandbox nope not found", notFound.getStatus().getDescription());

        StatusRuntimeException invalid = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .runPodSandbox(RunPodSandboxRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertEquals("pod sandbox config has no metadata.name", invalid.getStatus().getDescription());

        StatusRuntimeException deadline = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .execSync(ExecSyncRequest.newBuilder().setContainerId("c1").addCmd("sleep").addCmd("100").setTimeout(1).build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, deadline.getStatus().getCode());
        assertEquals("command timed out after 1 s", deadline.getStatus().getDescription());

        StatusRuntimeException absent = assertThrows(StatusRuntimeException.class, () -> client.images()
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("absent/x:1")).build()));
        assertEquals(Status.Code.NOT_FOUND, absent.getStatus().getCode());
        assertEquals("image absent/x:1 not found in any registry", absent.getStatus().getDescription());

        StatusRuntimeException unimplemented = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .checkpointContainer(CheckpointContainerRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, unimplemented.getStatus().getCode());
    }

    @Test
    void unexpectedExceptionBecomesInternalWithItsMessage() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId("p9").build()));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals("fake runtime exploded removing p9", e.getStatus().getDescription());
        // the server survives a runtime bug
        assertEquals("fake", client.runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
    }

    @Test
    void clientDeadlineIsHonouredWhenTheRuntimeHangs() {
        runtime.hangStatus = true;
        try (RemoteCriRuntime impatient = RemoteCriRuntime.connect(socket.toString(), Duration.ofMillis(300))) {
            long start = System.nanoTime();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> impatient.runtime().status(StatusRequest.getDefaultInstance()));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            // the runtime hangs until released: without the deadline the call would not return at all
            assertTrue(tookMs >= 250 && tookMs < 60_000, "deadline of 300 ms, took " + tookMs + " ms");
        } finally {
            runtime.statusGate.countDown();
        }
    }

    @Test
    void eventsAreStreamedAndClientCancelReachesTheRuntime() throws Exception {
        BlockingQueue<ContainerEventResponse> received = new LinkedBlockingQueue<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Context.CancellableContext call = Context.current().withCancellation();
        call.run(() -> client.runtime().getContainerEvents(GetEventsRequest.getDefaultInstance(),
                new StreamObserver<>() {
                    @Override public void onNext(ContainerEventResponse value) { received.add(value); }
                    @Override public void onError(Throwable t) { ended.complete(t); }
                    @Override public void onCompleted() { ended.complete(null); }
                }));
        assertTrue(runtime.eventsOpened.await(5, TimeUnit.SECONDS), "stream reached the runtime");
        for (int i = 0; i < 3; i++) {
            runtime.events.onNext(ContainerEventResponse.newBuilder().setContainerId("c" + i)
                    .setContainerEventType(ContainerEventType.CONTAINER_STARTED_EVENT).setCreatedAt(1000L + i).build());
        }
        for (int i = 0; i < 3; i++) {
            ContainerEventResponse event = received.poll(5, TimeUnit.SECONDS);
            assertNotNull(event, "event " + i + " delivered");
            assertEquals("c" + i, event.getContainerId());
            assertEquals(ContainerEventType.CONTAINER_STARTED_EVENT, event.getContainerEventType());
            assertEquals(1000L + i, event.getCreatedAt());
        }
        assertEquals(1, server.openEventStreams());

        call.cancel(null);
        assertTrue(runtime.eventsCancelled.await(5, TimeUnit.SECONDS), "server-side context cancelled");
        assertEquals(Status.Code.CANCELLED, Status.fromThrowable(ended.get(5, TimeUnit.SECONDS)).getCode());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> runtime.events.onNext(
                ContainerEventResponse.newBuilder().setContainerId("late").build()));
        assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), "a runtime that only watches onNext stops too");
        assertEquals(0, server.openEventStreams());
        assertNull(received.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void serverCloseEndsOpenEventStreams() throws Exception {
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        client.runtime().getContainerEvents(GetEventsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override public void onNext(ContainerEventResponse value) {}
            @Override public void onError(Throwable t) { ended.complete(t); }
            @Override public void onCompleted() { ended.complete(null); }
        });
        assertTrue(runtime.eventsOpened.await(5, TimeUnit.SECONDS));
        server.close();
        // ended by the server's own close, not cancelled once the grace for running calls ran out
        Status status = Status.fromThrowable(ended.get(60, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, status.getCode());
        assertEquals("CRI server on unix://" + socket.toAbsolutePath().normalize() + " is shutting down",
                status.getDescription());
    }

    @Test
    void closeRemovesTheSocketAndIsIdempotent() {
        assertTrue(Files.exists(socket));
        server.close();
        assertFalse(Files.exists(socket), "socket file removed");
        server.close();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.runtime().version(VersionRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        client.close();
        client.close();
    }

    @Test
    void staleSocketFileIsReplaced() throws Exception {
        server.close();
        Path stale = dir.resolve("stale.sock");
        Files.writeString(stale, "left over by a crashed shim");
        try (CriServer again = CriServer.start(stale, runtime, images);
             RemoteCriRuntime c = RemoteCriRuntime.connect("unix://" + stale, Duration.ofSeconds(5))) {
            assertFalse(Files.isRegularFile(stale), "regular file replaced by a socket");
            assertEquals("fake", c.runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
        }
        assertFalse(Files.exists(stale));
    }

    /** The form crictl and the kubelet use: gRPC's own unix:// target resolution. */
    @Test
    void plainGrpcUnixTargetWorks() throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
        try {
            VersionResponse v = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .version(VersionRequest.getDefaultInstance());
            assertEquals("fake", v.getRuntimeName());
            assertEquals(0, ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void endpointsOtherThanUnixSocketsAreRejected() {
        for (String bad : List.of("tcp://127.0.0.1:1234", "localhost:1234", "unix://relative/path", "relative.sock", "", "npipe:////./pipe/x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RemoteCriRuntime.connect(bad, Duration.ofSeconds(1)), bad);
            assertTrue(e.getMessage().contains("unix:///"), e.getMessage());
        }
    }

    @Test
    void missingSocketIsUnavailableNotAHang() {
        try (RemoteCriRuntime nowhere = RemoteCriRuntime.connect(dir.resolve("none.sock").toString(), Duration.ofSeconds(5))) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> nowhere.runtime().version(VersionRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        }
    }
}
