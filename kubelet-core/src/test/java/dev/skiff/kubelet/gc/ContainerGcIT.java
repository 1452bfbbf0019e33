package dev.skiff.kubelet.gc;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.LinuxPodSandboxConfig;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxFilter;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Container GC with real dead containers on the machine's Docker Engine, through the Docker shim: a pod the kubelet
 * knows keeps the newest dead instance of each container (and its log), a gone pod of ours loses everything dead
 * with its log dir, and a pod of another owner — like every other suite's pod on this Docker — is not touched.
 */
class ContainerGcIT {
    @TempDir
    Path tmp;

    private final String namespace = TestDocker.newNamespace("gc-it");
    private final DockerCriRuntime cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
    private final List<String> sandboxes = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (String s : sandboxes) {
            try {
                cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(s).build());
                cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(s).build());
            } catch (RuntimeException e) {
                System.err.println("cleanup of sandbox " + s + ": " + e);
            }
        }
        TestDocker.removeNamespace(namespace);
        cri.close();
    }

    @Test
    void keepsTheNewestDeadPerContainerRemovesGonePodsAndLeavesOthersAlone() throws Exception {
        TestImages.busybox(TestDocker.client());
        Path logs = Files.createDirectories(tmp.resolve("pod-logs"));
        Path podsDir = Files.createDirectories(tmp.resolve("root/pods"));

        String knownUid = UUID.randomUUID().toString();
        PodSandboxConfig known = sandboxConfig("known", knownUid, logs);
        String knownSandbox = runSandbox(known);
        List<String> app = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            app.add(runToExit(knownSandbox, known, "app", attempt));
        }
        String appRunning = start(knownSandbox, known, "app", 3, "sleep 3600");
        List<String> side = List.of(runToExit(knownSandbox, known, "side", 0), runToExit(knownSandbox, known, "side", 1));
        Files.createDirectories(podsDir.resolve(knownUid));

        String goneUid = UUID.randomUUID().toString();
        PodSandboxConfig gone = sandboxConfig("gone", goneUid, logs);
        String goneSandbox = runSandbox(gone);
        runToExit(goneSandbox, gone, "app", 0);
        runToExit(goneSandbox, gone, "app", 1);
        stopSandbox(goneSandbox);
        Files.createDirectories(podsDir.resolve(goneUid)); // ours: it has a pod dir under our root dir

        String foreignUid = UUID.randomUUID().toString();
        PodSandboxConfig foreign = sandboxConfig("foreign", foreignUid, logs);
        String foreignSandbox = runSandbox(foreign);
        List<String> foreignDead = List.of(runToExit(foreignSandbox, foreign, "app", 0),
                runToExit(foreignSandbox, foreign, "app", 1));
        stopSandbox(foreignSandbox);

        PodOwnership ownership = PodOwnership.of(() -> true, Set.of(knownUid)::contains, podsDir);
        ContainerGarbageCollector gc = new ContainerGarbageCollector(cri.runtime(), new ContainerGc(cri.runtime()),
                ownership, logs, Clock.systemUTC());

        ContainerGarbageCollector.Result r = gc.collect();

        assertEquals(Set.of(app.get(2), appRunning, side.get(1)), containerIds(knownUid),
                "the known pod keeps its running container and the newest dead instance of each container");
        Path knownLogs = Path.of(known.getLogDirectory());
        assertFalse(Files.exists(knownLogs.resolve("app/0.log")), "logs of removed instances go");
        assertFalse(Files.exists(knownLogs.resolve("app/1.log")));
        assertTrue(Files.exists(knownLogs.resolve("app/2.log")), "previous logs stay");
        assertEquals(List.of(knownSandbox), sandboxIds(knownUid));

        assertEquals(Set.of(), containerIds(goneUid), "a gone pod of ours loses every dead container");
        assertEquals(List.of(), sandboxIds(goneUid), "and its stopped sandbox");
        assertFalse(Files.exists(Path.of(gone.getLogDirectory())), "and its pod log directory");

        assertEquals(Set.copyOf(foreignDead), containerIds(foreignUid), "another owner's pod is not touched");
        assertEquals(List.of(foreignSandbox), sandboxIds(foreignUid));
        assertTrue(r.foreignPodsLeft() >= 1);
        assertEquals(5, r.containersRemoved(), "3 of the known pod, 2 of the gone one");
    }

    private PodSandboxConfig sandboxConfig(String name, String uid, Path logs) throws Exception {
        Path logDir = Files.createDirectories(logs.resolve(namespace + "_" + name + "_" + uid));
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(namespace).setUid(uid))
                .setHostname(name)
                .setLogDirectory(logDir.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder())))
                .build();
    }

    private String runSandbox(PodSandboxConfig config) {
        String id = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
        sandboxes.add(id);
        return id;
    }

    private void stopSandbox(String id) {
        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    private String start(String sandbox, PodSandboxConfig config, String name, int attempt, String script) {
        ContainerConfig c = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(attempt))
                .setImage(ImageSpec.newBuilder().setImage(TestImages.BUSYBOX))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .setLogPath(name + "/" + attempt + ".log")
                .build();
        String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox)
                .setSandboxConfig(config).setConfig(c).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    /** A container instance that prints a line and exits 1; returns once the runtime reports it exited. */
    private String runToExit(String sandbox, PodSandboxConfig config, String name, int attempt) throws InterruptedException {
        String id = start(sandbox, config, name, attempt, "echo attempt " + attempt + "; exit 1");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                .getStatus().getState() != ContainerState.CONTAINER_EXITED) {
            assertTrue(System.nanoTime() < deadline, "container " + name + " attempt " + attempt + " did not exit");
            Thread.sleep(50);
        }
        Thread.sleep(5); // distinct creation times
        return id;
    }

    private Set<String> containerIds(String uid) {
        return cri.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                        .putLabelSelector("io.kubernetes.pod.uid", uid)).build())
                .getContainersList().stream().map(Container::getId).collect(Collectors.toSet());
    }

    private List<String> sandboxIds(String uid) {
        return cri.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                        .putLabelSelector("io.kubernetes.pod.uid", uid)).build())
                .getItemsList().stream().map(PodSandbox::getId).toList();
    }
}
