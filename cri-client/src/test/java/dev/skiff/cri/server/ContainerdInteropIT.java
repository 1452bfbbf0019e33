package dev.skiff.cri.server;

import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.testing.PrivateContainerd;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Our CRI client against someone else's CRI server: a {@link PrivateContainerd} in a temp dir.
 * No registry is needed: the lifecycle test imports Skiff's pause image and the busybox test
 * image from Docker into this containerd with {@code ctr images import}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the lifecycle test imports images: last
class ContainerdInteropIT {
    @TempDir
    static Path dir;
    private static PrivateContainerd containerd;
    private static RemoteCriRuntime cri;

    @BeforeAll
    static void startContainerd() throws Exception {
        containerd = PrivateContainerd.start(dir);
        cri = containerd.cri();
    }

    @AfterAll
    static void stopContainerd() throws InterruptedException {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void versionNamesContainerdAndCriV1() {
        VersionResponse v = cri.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
        assertEquals("containerd", v.getRuntimeName(), v.toString());
        assertEquals("v1", v.getRuntimeApiVersion(), v.toString());
        assertFalse(v.getRuntimeVersion().isEmpty(), v.toString());
    }

    @Test
    void statusReportsRuntimeReadyAndNetworkNotReadyWithoutCni() {
        StatusResponse s = cri.runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
        Map<String, RuntimeCondition> conditions = s.getStatus().getConditionsList().stream()
                .collect(Collectors.toMap(RuntimeCondition::getType, c -> c));
        assertTrue(conditions.get("RuntimeReady").getStatus(), s.toString());
        // our CNI conf dir is empty: containerd says why the network is not ready
        assertFalse(conditions.get("NetworkReady").getStatus(), s.toString());
        assertFalse(conditions.get("NetworkReady").getReason().isEmpty(), s.toString());
        assertTrue(s.getInfoMap().containsKey("config"), "verbose status carries containerd's config");
        assertTrue(s.getInfoOrThrow("config").contains(dir.toString()), "it is our containerd, not Docker's");
    }

    @Test
    void imagesOfAFreshRootAreEmptyAndAnAbsentImageIsNoError() {
        assertEquals(0, cri.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        ImageStatusResponse absent = cri.images().imageStatus(ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage("skiff-test/absent:1")).build());
        assertFalse(absent.hasImage(), absent.toString());
        ImageFsInfoResponse fs = cri.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
        assertTrue(fs.getImageFilesystemsCount() > 0, fs.toString());
        assertTrue(fs.getImageFilesystems(0).getFsId().getMountpoint().startsWith(dir.toString()), fs.toString());
    }

    @Test
    void listsAreEmptyAndUnknownIdsAreNotFound() {
        assertEquals(0, cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
        assertEquals(0, cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.runtime()
                .podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId("no-such-sandbox").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
        StatusRuntimeException c = assertThrows(StatusRuntimeException.class, () -> cri.runtime()
                .containerStatus(ContainerStatusRequest.newBuilder().setContainerId("no-such-container").build()));
        assertEquals(Status.Code.NOT_FOUND, c.getStatus().getCode(), c.toString());
    }

    /**
     * RunPodSandbox, CreateContainer, StartContainer, ExecSync, StopContainer, RemoveContainer,
     * StopPodSandbox, RemovePodSandbox against containerd: our messages are read by a real
     * CRI server, and its answers by us. Host network, so no CNI plugin is needed.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void podLifecycleThroughContainerd() throws Exception {
        String busybox = containerd.importTestImages();
        assertTrue(cri.images().imageStatus(ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(busybox)).build()).hasImage(), "imported image is visible through CRI");

        Path logs = Files.createDirectories(dir.resolve("pod-logs"));
        PodSandboxConfig pod = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("interop").setNamespace("skiff-it").setUid("uid-interop"))
                .setLogDirectory(logs.toString()) // no hostname: the pod shares the host's UTS namespace
                .putLabels("app", "interop")
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))
                .build();
        String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
        PodSandboxStatus podStatus = cri.runtime().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build()).getStatus();
        assertEquals(PodSandboxState.SANDBOX_READY, podStatus.getState());
        assertEquals("interop", podStatus.getMetadata().getName());
        assertEquals("interop", podStatus.getLabelsOrThrow("app"));
        assertEquals(NamespaceMode.NODE, podStatus.getLinux().getNamespaces().getOptions().getNetwork());

        ContainerConfig ctr = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("box"))
                .setImage(ImageSpec.newBuilder().setImage(busybox))
                .addCommand("sh").addCommand("-c").addCommand("echo hello from containerd; exec sleep 300")
                .addEnvs(KeyValue.newBuilder().setKey("GREETING").setValue("interop"))
                .setLogPath("box.0.log")
                .build();
        String ctrId = cri.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(ctr).setSandboxConfig(pod).build()).getContainerId();
        assertEquals(ContainerState.CONTAINER_CREATED, status(ctrId).getState());
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(ctrId).build());
        ContainerStatus running = status(ctrId);
        assertEquals(ContainerState.CONTAINER_RUNNING, running.getState());
        assertEquals("box", running.getMetadata().getName());
        assertEquals(logs.resolve("box.0.log").toString(), running.getLogPath());

        ExecSyncResponse exec = cri.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(ctrId)
                .addCmd("sh").addCmd("-c").addCmd("echo $GREETING; hostname; exit 3").setTimeout(10).build());
        assertEquals(3, exec.getExitCode(), exec.toString());
        assertEquals("interop\n" + hostname() + "\n", exec.getStdout().toStringUtf8(), "env from our config; host UTS under network NODE");
        assertLogLine(logs.resolve("box.0.log"), " stdout F hello from containerd");

        assertEquals(1, cri.runtime().listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(podId)).build()).getContainersCount());
        cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(ctrId).setTimeout(1).build());
        ContainerStatus exited = status(ctrId);
        assertEquals(ContainerState.CONTAINER_EXITED, exited.getState());
        // PID mode POD is the proto default: pause is PID 1, so sleep is not and SIGTERM ends it
        assertEquals(143, exited.getExitCode(), exited.toString());
        cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(ctrId).build());
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> status(ctrId));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());

        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(0, cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
    }

    private static ContainerStatus status(String id) {
        return cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    private static String hostname() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    private static void assertLogLine(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String content = "";
        while (System.nanoTime() < deadline) {
            content = Files.exists(log) ? Files.readString(log) : "";
            if (content.contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        fail("CRI log " + log + " lacks '" + text + "':\n" + content);
    }
}
