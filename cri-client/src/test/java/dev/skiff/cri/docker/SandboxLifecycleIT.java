package dev.skiff.cri.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.skiff.cri.docker.PodFixture.assertCode;
import static org.junit.jupiter.api.Assertions.*;

/** RunPodSandbox, PodSandboxStatus, ListPodSandbox, StopPodSandbox and RemovePodSandbox on a real Docker Engine. */
@Timeout(120)
class SandboxLifecycleIT {
    @TempDir
    Path logs;
    private PodFixture pods;
    private RuntimeService rt;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-sbx-it", logs);
        rt = pods.rt();
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void runStatusListStopRemove() {
        PodSandboxConfig config = pods.sandbox("web")
                .putLabels("app", "web")
                .putAnnotations("kubernetes.io/config.source", "file")
                .putAnnotations("note", "a=b, c")
                .build();
        long before = System.currentTimeMillis() * 1_000_000L - 2_000_000_000L;
        String id = pods.run(config);
        long after = System.currentTimeMillis() * 1_000_000L + 2_000_000_000L;

        PodSandboxStatus s = pods.sandboxStatus(id);
        assertEquals(id, s.getId());
        assertEquals(config.getMetadata(), s.getMetadata());
        assertEquals(PodSandboxState.SANDBOX_READY, s.getState());
        assertTrue(s.getCreatedAt() > before && s.getCreatedAt() < after, "created_at " + s.getCreatedAt() + " is nanoseconds of now");
        assertTrue(s.getLabelsMap().entrySet().containsAll(config.getLabelsMap().entrySet()), s.getLabelsMap().toString());
        assertEquals(config.getAnnotationsMap(), s.getAnnotationsMap());
        assertEquals(config.getLinux().getSecurityContext().getNamespaceOptions(), s.getLinux().getNamespaces().getOptions());
        String dockerIp = pods.docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks().get("bridge").getIpAddress();
        assertFalse(dockerIp.isEmpty());
        assertEquals(dockerIp, s.getNetwork().getIp(), "pod IP on Docker's bridge");

        // A unique id prefix is accepted, as Docker and cri-dockerd accept it.
        assertEquals(id, pods.sandboxStatus(id.substring(0, 12)).getId());

        Map<String, String> mine = Map.of(PodFixture.SELECTOR_KEY, pods.namespace);
        PodSandbox item = single(list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine)));
        assertEquals(id, item.getId());
        assertEquals(config.getMetadata(), item.getMetadata());
        assertEquals(PodSandboxState.SANDBOX_READY, item.getState());
        assertEquals(config.getAnnotationsMap(), item.getAnnotationsMap());
        assertTrue(item.getLabelsMap().entrySet().containsAll(config.getLabelsMap().entrySet()));
        assertTrue(item.getCreatedAt() > before && item.getCreatedAt() < after, "list created_at in nanoseconds");

        assertEquals(id, single(list(PodSandboxFilter.newBuilder().setId(id))).getId());
        assertEquals(id, single(list(PodSandboxFilter.newBuilder().setId(id.substring(0, 10)))).getId());
        assertEquals(List.of(), list(PodSandboxFilter.newBuilder().setId(PodFixture.randomId())));
        assertEquals(1, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).putLabelSelector("app", "web")).size());
        assertEquals(0, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).putLabelSelector("app", "db")).size());
        assertEquals(1, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).setState(ready(true))).size());
        assertEquals(0, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).setState(ready(false))).size());

        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, pods.sandboxStatus(id).getState());
        // 0, not 137: the pause program ended on SIGTERM, no SIGKILL after a grace was needed
        assertEquals(0, pods.docker.inspectContainerCmd(id).exec().getState().getExitCodeLong(), "pause exits 0 on SIGTERM");
        assertEquals(1, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).setState(ready(false))).size());
        assertEquals(0, list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine).setState(ready(true))).size());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build()); // idempotent

        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertThrows(NotFoundException.class, () -> pods.docker.inspectContainerCmd(id).exec());
        assertCode(Status.Code.NOT_FOUND, () -> pods.sandboxStatus(id));
        assertEquals(List.of(), list(PodSandboxFilter.newBuilder().putAllLabelSelector(mine)));
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build()); // idempotent
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build()); // idempotent after removal
    }

    @Test
    void dockerObjectCarriesCriDockerdsNameAndLabels() {
        PodSandboxConfig.Builder b = pods.sandbox("api").putLabels("app", "api").putAnnotations("owner", "team-a");
        b.getMetadataBuilder().setAttempt(2);
        PodSandboxConfig config = b.build();
        String id = pods.run(config);

        InspectContainerResponse r = pods.docker.inspectContainerCmd(id).exec();
        PodSandboxMetadata m = config.getMetadata();
        assertEquals("/k8s_POD_api_" + m.getNamespace() + "_" + m.getUid() + "_2", r.getName());
        Map<String, String> labels = r.getConfig().getLabels();
        assertEquals("api", labels.get("io.kubernetes.pod.name"));
        assertEquals(m.getNamespace(), labels.get("io.kubernetes.pod.namespace"));
        assertEquals(m.getUid(), labels.get("io.kubernetes.pod.uid"));
        assertEquals("podsandbox", labels.get("io.kubernetes.docker.type"));
        assertEquals("api", labels.get("app"));
        assertEquals("team-a", labels.get("annotation.owner"));
        assertEquals("shareable", r.getHostConfig().getIpcMode(), "containers join the sandbox's IPC namespace");
        assertEquals(PauseImage.defaultImage(), r.getConfig().getImage());
        assertEquals(List.of("/pause"), List.of(r.getConfig().getEntrypoint()));
        assertEquals("api", r.getConfig().getHostName());
        assertEquals(2, pods.sandboxStatus(id).getMetadata().getAttempt());
    }

    @Test
    void stopAndRemoveOfUnknownIdsSucceed() {
        String unknown = PodFixture.randomId();
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        var e = assertCode(Status.Code.NOT_FOUND, () -> pods.sandboxStatus(unknown));
        assertTrue(e.getStatus().getDescription().contains(unknown), e.getStatus().getDescription());
    }

    @Test
    void stopEndsTheContainersAndRemoveTakesThemAlong() {
        PodSandboxConfig config = pods.sandbox().build();
        String id = pods.run(config);
        String ctr = pods.start(id, config, pods.container(config, "app", "exec sleep 1000").build());
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(ctr).getState());

        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertEquals(ContainerState.CONTAINER_EXITED, pods.status(ctr).getState(), "nothing of the pod runs after StopPodSandbox");

        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertCode(Status.Code.NOT_FOUND, () -> pods.status(ctr));
        assertEquals(List.of(), pods.dockerContainers());
    }

    @Test
    void removeOfARunningSandboxRemovesEverything() {
        PodSandboxConfig config = pods.sandbox().build();
        String id = pods.run(config);
        pods.start(id, config, pods.container(config, "app", "exec sleep 1000").build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertEquals(List.of(), pods.dockerContainers());
    }

    @Test
    void stateIsRebuiltFromDockerAfterAShimRestart() {
        PodSandboxConfig config = pods.sandbox("db").putLabels("app", "db").putAnnotations("kubernetes.io/config.hash", "f00d").build();
        String id = pods.run(config);
        pods.restart();
        rt = pods.rt();

        PodSandbox item = single(list(PodSandboxFilter.newBuilder().putLabelSelector(PodFixture.SELECTOR_KEY, pods.namespace)));
        assertEquals(id, item.getId());
        assertEquals(config.getMetadata(), item.getMetadata());
        assertEquals(config.getAnnotationsMap(), item.getAnnotationsMap());
        assertTrue(item.getLabelsMap().entrySet().containsAll(config.getLabelsMap().entrySet()));
        PodSandboxStatus s = pods.sandboxStatus(id);
        assertEquals(PodSandboxState.SANDBOX_READY, s.getState());
        assertEquals(config.getAnnotationsMap(), s.getAnnotationsMap());
    }

    @Test
    void sandboxStatusRejectsAContainerId() {
        PodSandboxConfig config = pods.sandbox().build();
        String id = pods.run(config);
        String ctr = pods.create(id, config, pods.container(config, "app", "true").build());
        assertCode(Status.Code.NOT_FOUND, () -> pods.sandboxStatus(ctr));
        assertTrue(list(PodSandboxFilter.newBuilder().setId(ctr)).isEmpty(), "a container is not a sandbox");
    }

    private List<PodSandbox> list(PodSandboxFilter.Builder filter) {
        return rt.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter).build()).getItemsList();
    }

    private static PodSandbox single(List<PodSandbox> items) {
        assertEquals(1, items.size(), items.toString());
        return items.get(0);
    }

    private static PodSandboxStateValue ready(boolean ready) {
        return PodSandboxStateValue.newBuilder()
                .setState(ready ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY).build();
    }
}
