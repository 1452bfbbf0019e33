package dev.skiff.cri.server;

import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Our CRI client against someone else's CRI server: a private containerd (Debian's, with its
 * CRI plugin) on a socket in a temp dir, with its own root, state and (empty) CNI config.
 * No registry is needed: the lifecycle test imports Skiff's pause image and the busybox test
 * image from Docker into this containerd with {@code ctr images import}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the lifecycle test imports images: last
class ContainerdInteropIT {
    private static final Path CONTAINERD = Path.of("/usr/bin/containerd");
    private static final Path CTR = Path.of("/usr/bin/ctr");

    @TempDir
    static Path dir;
    private static Process containerd;
    private static Path log;
    private static RemoteCriRuntime cri;
    private static Path socket;
    private static String pauseImage;

    @BeforeAll
    static void startContainerd() throws Exception {
        if (!Files.isExecutable(CONTAINERD)) {
            fail(CONTAINERD + " is not installed: hack/install-host-deps.sh installs Debian's containerd");
        }
        socket = dir.resolve("containerd.sock");
        pauseImage = PauseImage.defaultImage();
        Files.createDirectories(dir.resolve("cni"));
        Path config = dir.resolve("config.toml");
        // restrict_oom_score_adj: this host cannot lower oom_score_adj (FACTS.md), and the
        // sandbox's -998 would fail in runc
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
                  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
                  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
                [grpc]
                  address = "%2$s"
                [ttrpc]
                  address = "%2$s.ttrpc"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%3$s"
                  restrict_oom_score_adj = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%1$s/cni"
                """.formatted(dir, socket, pauseImage));
        log = dir.resolve("containerd.log");
        containerd = new ProcessBuilder(CONTAINERD.toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(socket) || !logText().contains("serving...")) {
            if (!containerd.isAlive() || System.nanoTime() > deadline) {
                fail("containerd did not start serving within 90 s:\n" + tail());
            }
            Thread.sleep(100);
        }
        if (logText().contains("failed to load plugin io.containerd.grpc.v1.cri")) {
            fail("containerd's CRI plugin did not load:\n" + tail());
        }
        cri = RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopContainerd() throws InterruptedException {
        if (cri != null) {
            removeAllPods(); // containerd's shims outlive containerd: end them through CRI first
            cri.close();
        }
        if (containerd != null) {
            containerd.destroy();
            if (!containerd.waitFor(15, TimeUnit.SECONDS)) {
                containerd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
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
        String busybox = TestImages.busybox(TestDocker.client());
        importFromDocker(new PauseImage(TestDocker.client(), null).ensure());
        importFromDocker(busybox);
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

    /** docker save IMAGE | ctr -n k8s.io images import - (the namespace the CRI plugin reads). */
    private static void importFromDocker(String image) throws Exception {
        if (!Files.isExecutable(CTR)) {
            fail(CTR + " is missing: Debian's containerd package (hack/install-host-deps.sh) ships it");
        }
        Path out = dir.resolve("ctr-import.log");
        Process ctr = new ProcessBuilder(CTR.toString(), "--address", socket.toString(), "--namespace", "k8s.io",
                "images", "import", "-").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try (InputStream tar = TestDocker.client().saveImageCmd(image.substring(0, image.lastIndexOf(':')))
                .withTag(image.substring(image.lastIndexOf(':') + 1)).exec();
             OutputStream stdin = ctr.getOutputStream()) {
            tar.transferTo(stdin);
        }
        if (!ctr.waitFor(180, TimeUnit.SECONDS)) {
            ctr.destroyForcibly();
            fail("ctr images import " + image + " did not finish in 180 s");
        }
        assertEquals(0, ctr.exitValue(), "ctr images import " + image + ":\n" + Files.readString(out));
    }

    private static void removeAllPods() {
        try {
            for (PodSandbox p : cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
                cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
                cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
            }
        } catch (StatusRuntimeException e) {
            System.err.println("cleanup of containerd pods: " + e);
        }
    }

    private static String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail() {
        String[] lines = logText().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 20), lines.length));
    }
}
