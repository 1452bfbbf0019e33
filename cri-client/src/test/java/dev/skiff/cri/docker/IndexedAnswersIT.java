package dev.skiff.cri.docker;

import dev.skiff.cri.v1.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shim's indexed answers against freshly inspected ones on the machine's Docker: after every step of a seeded
 * random sequence of RunPodSandbox, CreateContainer, StartContainer, StopContainer, RemoveContainer,
 * StopPodSandbox and RemovePodSandbox through the shim, each list and status answer is the one Docker gives at
 * that moment (read-your-writes, no waiting); and a change made outside the shim reaches the index by its event.
 * The seed is {@code -Dskiff.it.seed} (default 17) and is named in every failure.
 */
class IndexedAnswersIT {
    private static final int STEPS = Integer.getInteger("skiff.it.steps", 40);
    private static final long SEED = Long.getLong("skiff.it.seed", 17L);

    private PodFixture pods;

    @AfterEach
    void cleanUp() {
        if (pods != null) {
            pods.close();
        }
    }

    private record Pod(String id, PodSandboxConfig config, List<String> containers) {}

    /** Steps on containers go to pods whose sandbox runs (Docker cannot start a container in a stopped one). */
    private static Pod pick(Random random, List<Pod> pods) {
        return pods.get(random.nextInt(pods.size()));
    }

    private void assertSameAnswers(String after) {
        List<String> diff = IndexedAnswers.differences(pods.cri(), Map.of(PodFixture.SELECTOR_KEY, pods.namespace),
                List.of(pods.image, "skiff-test/no-such-image:1"), false);
        assertEquals(List.of(), diff, "seed " + SEED + ", after " + after);
    }

    @Test
    void indexedAnswersEqualFreshOnesAfterEveryStepOfARandomSequence() throws Exception {
        pods = new PodFixture("skiff-idx", Files.createTempDirectory("skiff-idx-logs"));
        assertTrue(IndexedAnswers.live(pods.cri()), "the index follows Docker's events once connected");
        Random random = new Random(SEED);
        List<Pod> live = new ArrayList<>();
        List<Pod> stopped = new ArrayList<>();
        List<String> steps = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            int op = live.isEmpty() ? 0 : random.nextInt(10);
            String did;
            if (op == 9 && !stopped.isEmpty()) {
                Pod p = stopped.remove(random.nextInt(stopped.size()));
                pods.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.id()).build());
                did = "RemovePodSandbox " + p.id() + " (stopped)";
            } else if (op == 0 || (op == 1 && live.size() < 3)) {
                PodSandboxConfig config = pods.sandbox().build();
                Pod p = new Pod(pods.run(config), config, new ArrayList<>());
                live.add(p);
                did = "RunPodSandbox " + p.id();
            } else {
                Pod p = pick(random, live);
                if (op <= 3) {
                    ContainerConfig c = pods.container(p.config(), "c" + step, "sleep 3600").build();
                    String id = pods.create(p.id(), p.config(), c);
                    p.containers().add(id);
                    did = "CreateContainer " + id;
                } else if (op <= 5 && !p.containers().isEmpty()) {
                    String id = p.containers().get(random.nextInt(p.containers().size()));
                    pods.rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                    did = "StartContainer " + id;
                } else if (op == 6 && !p.containers().isEmpty()) {
                    String id = p.containers().get(random.nextInt(p.containers().size()));
                    pods.rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
                    did = "StopContainer " + id;
                } else if (op == 7 && !p.containers().isEmpty()) {
                    String id = p.containers().remove(random.nextInt(p.containers().size()));
                    pods.rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
                    did = "RemoveContainer " + id;
                } else if (op == 8) {
                    live.remove(p);
                    stopped.add(p);
                    pods.rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.id()).build());
                    did = "StopPodSandbox " + p.id();
                } else {
                    live.remove(p);
                    pods.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.id()).build());
                    did = "RemovePodSandbox " + p.id();
                }
            }
            steps.add(did);
            assertSameAnswers("step " + step + " (" + String.join(", ", steps) + ")");
        }
    }

    @Test
    void aChangeMadeOutsideTheShimReachesTheIndexByItsEvent() throws Exception {
        pods = new PodFixture("skiff-idx", Files.createTempDirectory("skiff-idx-logs"));
        PodSandboxConfig config = pods.sandbox().build();
        String sandbox = pods.run(config);
        String ctr = pods.start(sandbox, config, pods.container(config, "c", "sleep 3600").build());
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(ctr).getState());
        // Docker itself stops it: only the die event tells the index
        pods.docker.stopContainerCmd(ctr).withTimeout(0).exec();
        PodFixture.await("the index sees the container exited", () -> pods.status(ctr).getState() == ContainerState.CONTAINER_EXITED,
                Duration.ofSeconds(30));
        assertSameAnswers("docker stop outside the shim");
        // and a container that exits by itself
        String quick = pods.start(sandbox, config, pods.container(config, "quick", "sleep 1; exit 3").build());
        PodFixture.await("the index sees the quick container exit 3", () -> pods.status(quick).getExitCode() == 3,
                Duration.ofSeconds(30));
        assertSameAnswers("a container exiting by itself");
        pods.docker.removeContainerCmd(quick).withForce(true).exec();
        PodFixture.await("the index forgets a container removed outside the shim",
                () -> pods.rt().listContainers(ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                        .setId(quick)).build()).getContainersCount() == 0, Duration.ofSeconds(30));
        assertSameAnswers("docker rm outside the shim");
    }
}
