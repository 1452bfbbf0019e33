package dev.skiff.cri.server;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Docker shim served by {@link CriServer} and driven through {@link RemoteCriRuntime}, as
 * {@code skiff cri-shim} and a remote kubelet would: what crosses the socket matches what the
 * in-process runtime answers, and its errors keep their codes.
 */
class DockerOverSocketIT {
    private static final String NAMESPACE = TestDocker.newNamespace("skiff-grpc");

    private static Path dir;
    private static String image;
    private static DockerCriRuntime local;
    private static CriServer server;
    private static RemoteCriRuntime remote;

    @BeforeAll
    static void serve() throws Exception {
        image = TestImages.busybox(TestDocker.client());
        dir = Files.createTempDirectory("skiff-grpc-it");
        local = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        server = CriServer.start(dir.resolve("cri.sock"), local.runtime(), local.images());
        // generous: the first RunPodSandbox may import the pause image
        remote = RemoteCriRuntime.connect("unix://" + dir.resolve("cri.sock"), Duration.ofMinutes(2));
    }

    @AfterAll
    static void cleanUp() {
        try {
            TestDocker.removeNamespace(NAMESPACE);
        } finally {
            if (remote != null) remote.close();
            if (server != null) server.close();
            if (local != null) local.close();
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null) return;
        try (java.util.stream.Stream<Path> all = Files.walk(root)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // left in /tmp
        }
    }

    private static PodSandboxConfig podConfig(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(NAMESPACE).setUid("uid-" + name))
                .setHostname(name)
                .setLogDirectory(dir.resolve("logs/" + name).toString())
                .putLabels("app", name)
                .build();
    }

    private static InspectContainerResponse inspect(String id) {
        return TestDocker.client().inspectContainerCmd(id).exec();
    }

    @Test
    void sandboxAndContainerLifecycleOverTheSocket() throws Exception {
        PodSandboxConfig pod = podConfig("web");
        Files.createDirectories(Path.of(pod.getLogDirectory()));
        String podId = remote.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
        assertTrue(inspect(podId).getState().getRunning(), "sandbox container runs in Docker");

        PodSandboxStatusRequest podStatusReq = PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build();
        PodSandboxStatusResponse podStatus = remote.runtime().podSandboxStatus(podStatusReq);
        assertEquals(PodSandboxState.SANDBOX_READY, podStatus.getStatus().getState());
        assertEquals("web", podStatus.getStatus().getMetadata().getName());
        assertEquals(NAMESPACE, podStatus.getStatus().getMetadata().getNamespace());
        // timestamp is "when this answer was made" (evented PLEG), different on every call
        assertEquals(local.runtime().podSandboxStatus(podStatusReq).toBuilder().clearTimestamp().build(),
                podStatus.toBuilder().clearTimestamp().build(), "remote answer = in-process answer");

        ListPodSandboxRequest listPods = ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .putLabelSelector("app", "web")).build();
        assertTrue(remote.runtime().listPodSandbox(listPods).getItemsList().stream().anyMatch(p -> p.getId().equals(podId)));
        assertEquals(local.runtime().listPodSandbox(listPods), remote.runtime().listPodSandbox(listPods));

        ContainerConfig ctr = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("sleeper"))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addCommand("sh").addCommand("-c").addCommand("echo started > /tmp/marker; exec sleep 300")
                .setLogPath("sleeper/0.log")
                .build();
        String ctrId = remote.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(ctr).setSandboxConfig(pod).build()).getContainerId();
        remote.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(ctrId).build());
        assertTrue(inspect(ctrId).getState().getRunning(), "container runs in Docker");

        ContainerStatusRequest ctrStatusReq = ContainerStatusRequest.newBuilder().setContainerId(ctrId).build();
        ContainerStatusResponse ctrStatus = remote.runtime().containerStatus(ctrStatusReq);
        assertEquals(ContainerState.CONTAINER_RUNNING, ctrStatus.getStatus().getState());
        assertEquals("sleeper", ctrStatus.getStatus().getMetadata().getName());
        assertEquals(local.runtime().containerStatus(ctrStatusReq), ctrStatus, "remote answer = in-process answer");

        ListContainersRequest listCtrs = ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(podId)).build();
        assertEquals(1, remote.runtime().listContainers(listCtrs).getContainersCount());
        assertEquals(local.runtime().listContainers(listCtrs), remote.runtime().listContainers(listCtrs));

        // observed from inside the container, through the socket
        ExecSyncResponse exec = execUntilMarker(ctrId);
        assertEquals(0, exec.getExitCode());
        assertEquals("started\n", exec.getStdout().toStringUtf8());

        remote.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(ctrId).setTimeout(1).build());
        assertFalse(inspect(ctrId).getState().getRunning(), "container stopped in Docker");
        assertEquals(ContainerState.CONTAINER_EXITED, remote.runtime().containerStatus(ctrStatusReq).getStatus().getState());
        remote.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(ctrId).build());
        assertThrows(NotFoundException.class, () -> inspect(ctrId), "container removed from Docker");

        remote.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, remote.runtime().podSandboxStatus(podStatusReq).getStatus().getState());
        remote.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertThrows(NotFoundException.class, () -> inspect(podId), "sandbox removed from Docker");
        assertCode(Status.Code.NOT_FOUND, () -> remote.runtime().podSandboxStatus(podStatusReq));
    }

    private static ExecSyncResponse execUntilMarker(String ctrId) throws InterruptedException {
        ExecSyncRequest req = ExecSyncRequest.newBuilder().setContainerId(ctrId)
                .addCmd("cat").addCmd("/tmp/marker").setTimeout(10).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        ExecSyncResponse r;
        do {
            r = remote.runtime().execSync(req);
            if (r.getExitCode() == 0) {
                return r;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return r;
    }

    @Test
    void stopAndRemoveOfUnknownIdsSucceedRemotely() {
        String unknown = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        remote.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(unknown).setTimeout(1).build());
        remote.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());
        remote.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        remote.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
    }

    @Test
    void badInputKeepsItsCodeOverTheWire() throws Exception {
        String unknown = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        StatusRuntimeException e = assertCode(Status.Code.NOT_FOUND, () -> remote.runtime().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(unknown).build()));
        assertTrue(e.getStatus().getDescription().contains(unknown), e.getStatus().getDescription());
        assertCode(Status.Code.NOT_FOUND, () -> remote.runtime().containerStatus(
                ContainerStatusRequest.newBuilder().setContainerId(unknown).build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> remote.runtime().runPodSandbox(
                RunPodSandboxRequest.getDefaultInstance()));

        PodSandboxConfig pod = podConfig("bad-input");
        Files.createDirectories(Path.of(pod.getLogDirectory()));
        ContainerConfig ctr = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("c"))
                .setImage(ImageSpec.newBuilder().setImage(image)).addCommand("true").build();
        assertCode(Status.Code.NOT_FOUND, () -> remote.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(unknown).setConfig(ctr).setSandboxConfig(pod).build()));

        String podId = remote.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
        String absent = "skiff-test/absent-" + NAMESPACE + ":1";
        StatusRuntimeException noImage = assertCode(Status.Code.NOT_FOUND, () -> remote.runtime().createContainer(
                CreateContainerRequest.newBuilder().setPodSandboxId(podId).setSandboxConfig(pod)
                        .setConfig(ctr.toBuilder().setImage(ImageSpec.newBuilder().setImage(absent))).build()));
        assertTrue(noImage.getStatus().getDescription().contains(absent), noImage.getStatus().getDescription());
        assertFalse(remote.images().imageStatus(ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(absent)).build()).hasImage());
        remote.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        remote.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
    }

    @Test
    void versionAndImagesMatchInProcess() {
        VersionRequest v = VersionRequest.newBuilder().setVersion("0.1.0").build();
        assertEquals(local.runtime().version(v), remote.runtime().version(v));
        assertEquals("v1", remote.runtime().version(v).getRuntimeApiVersion());
        ImageStatusRequest busybox = ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build();
        Image img = remote.images().imageStatus(busybox).getImage();
        assertTrue(img.getRepoTagsList().contains(image), img.getRepoTagsList().toString());
        assertEquals(local.images().imageStatus(busybox), remote.images().imageStatus(busybox));
        assertTrue(remote.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                .anyMatch(i -> i.getId().equals(img.getId())));
    }

    private static StatusRuntimeException assertCode(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }
}
