package dev.skiff.kubelet.it;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.docker.IndexedAnswers;
import dev.skiff.cri.v1.*;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Docker shim's event-stream index across a dockerd crash: a private dockerd under the shim is killed with
 * SIGKILL while pods run; while it is down no status call answers from the index (they fail as Docker does); once
 * it is started again the shim reconnects, resyncs, and every list and status answer equals what Docker's inspect
 * gives (the containers the restarted daemon found dead included), and a change made behind the shim's back after
 * the reconnect reaches it by its event.
 */
class CriIndexDockerdCrashIT {
    private static final String IMAGE = "skiff-test/busybox:1";
    private static final String SELECTOR = "skiff.test/index-crash";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static PrivateDockerd dockerd;

    @BeforeAll
    static void privateDockerd() throws Exception {
        PrivateDockerd.requireAvailable();
        dockerd = PrivateDockerd.start(Files.createTempDirectory(Path.of("/tmp"), "skiff-ix-"));
        dockerd.importBusybox(IMAGE);
    }

    @AfterAll
    static void closeDockerd() {
        if (dockerd != null) {
            dockerd.close();
        }
    }

    private static PodSandboxConfig sandbox(String name, Path logs) {
        String uid = UUID.randomUUID().toString();
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("index-crash").setUid(uid))
                .setHostname(name)
                .setLogDirectory(logs.resolve(name + "_" + uid).toString())
                .putLabels(SELECTOR, "yes")
                .build();
    }

    private static String container(RuntimeService rt, String sandboxId, PodSandboxConfig sandbox, String name, boolean start) {
        ContainerConfig config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                .addCommand("sh").addArgs("-c").addArgs("sleep 3600")
                .setLogPath(name + "/0.log")
                .putLabels(SELECTOR, "yes")
                .build();
        String id = rt.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId).setConfig(config)
                .setSandboxConfig(sandbox).build()).getContainerId();
        if (start) {
            rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        }
        return id;
    }

    private static ContainerStatus status(RuntimeService rt, String id) {
        return rt.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    private static List<String> differences(DockerCriRuntime cri) {
        return IndexedAnswers.differences(cri, Map.of(SELECTOR, "yes"), List.of(IMAGE), true);
    }

    private static void await(String what, BooleanSupplier condition, Supplier<String> detail) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // Docker still coming up
            }
            Thread.sleep(200);
        }
        fail("not within " + WAIT + ": " + what + "\n" + detail.get() + "\n" + dockerd.logTail());
    }

    /** The CRI state Docker's own inspect (its CLI) gives for a container. */
    private static ContainerState dockerState(String id) {
        String s = dockerd.docker("inspect", "-f", "{{.State.Status}}", id).trim();
        return switch (s) {
            case "running" -> ContainerState.CONTAINER_RUNNING;
            case "created" -> ContainerState.CONTAINER_CREATED;
            default -> ContainerState.CONTAINER_EXITED;
        };
    }

    @Test
    void answersEqualDockersAfterDockerdIsKilledAndRestarted() throws Exception {
        Path logs = Files.createTempDirectory("skiff-ix-logs");
        try (DockerCriRuntime cri = DockerCriRuntime.connect(new DockerShimConfig(dockerd.endpoint(), null))) {
            RuntimeService rt = cri.runtime();
            assertTrue(IndexedAnswers.live(cri), "the index follows the private dockerd's events");
            PodSandboxConfig config = sandbox("crash", logs);
            String sandboxId = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
            String running = container(rt, sandboxId, config, "running", true);
            String created = container(rt, sandboxId, config, "created", false);
            assertEquals(ContainerState.CONTAINER_RUNNING, status(rt, running).getState());
            assertEquals(List.of(), differences(cri), "before the crash");

            dockerd.kill();
            await("the shim notices the event stream is gone", () -> !IndexedAnswers.live(cri), () -> "");
            // nothing stale: without Docker the call fails, as it did before there was an index
            StatusRuntimeException down = assertThrows(StatusRuntimeException.class, () -> status(rt, running));
            assertTrue(down.getStatus().getDescription().contains(running), down.getStatus().toString());

            dockerd.startAgain();
            await("the shim reconnects and resyncs", () -> IndexedAnswers.live(cri), () -> "");
            await("indexed answers equal fresh ones after the restart", () -> differences(cri).isEmpty(),
                    () -> String.join("\n", differences(cri)));
            for (String id : List.of(running, created)) {
                assertEquals(dockerState(id), status(rt, id).getState(), "container " + id + " against docker inspect");
            }
            ListPodSandboxResponse sandboxes = rt.listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
            PodSandbox listed = sandboxes.getItemsList().stream().filter(s -> s.getId().equals(sandboxId)).findFirst().orElseThrow();
            String sandboxState = dockerd.docker("inspect", "-f", "{{.State.Status}}", sandboxId).trim();
            assertEquals("running".equals(sandboxState) ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY,
                    listed.getState(), "sandbox against docker inspect (" + sandboxState + ")");

            // the reconnected stream carries events: a new pod, then a stop behind the shim's back
            PodSandboxConfig again = sandbox("after", logs);
            String sandbox2 = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(again).build()).getPodSandboxId();
            String after = container(rt, sandbox2, again, "after", true);
            assertEquals(ContainerState.CONTAINER_RUNNING, status(rt, after).getState());
            dockerd.docker("stop", "-t", "0", after);
            await("the index sees the stop made outside the shim", () -> status(rt, after).getState() == ContainerState.CONTAINER_EXITED,
                    () -> status(rt, after).toString());
            assertEquals(List.of(), differences(cri), "after a change outside the shim");
        }
    }
}
