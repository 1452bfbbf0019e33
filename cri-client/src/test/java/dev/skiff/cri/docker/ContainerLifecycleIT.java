package dev.skiff.cri.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Event;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.skiff.cri.docker.PodFixture.assertCode;
import static dev.skiff.cri.docker.PodFixture.await;
import static org.junit.jupiter.api.Assertions.*;

/** Container lifecycle, status, listing, resources and log wiring through DockerCriRuntime on a real Docker Engine. */
@Timeout(120)
class ContainerLifecycleIT {
    @TempDir
    Path logs;
    @TempDir
    Path data;
    private PodFixture pods;
    private RuntimeService rt;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-ctr-it", logs);
        rt = pods.rt();
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void createStartStatusListStopRemove() throws Exception {
        PodSandboxConfig sandbox = pods.sandbox("web").build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "app", "echo hello; trap '' TERM; exec sleep 1000")
                .putLabels("tier", "front")
                .putAnnotations("io.kubernetes.container.hash", "c0ffee")
                .addMounts(Mount.newBuilder().setHostPath(data.toString()).setContainerPath("/data"))
                .build();

        long before = System.currentTimeMillis() * 1_000_000L - 2_000_000_000L;
        String id = pods.create(sandboxId, sandbox, config);
        ContainerStatus created = pods.status(id);
        assertEquals(id, created.getId());
        assertEquals(ContainerState.CONTAINER_CREATED, created.getState());
        assertEquals(config.getMetadata(), created.getMetadata());
        assertTrue(created.getCreatedAt() > before, "created_at in nanoseconds");
        assertEquals(0, created.getStartedAt());
        assertEquals(0, created.getFinishedAt());
        assertEquals(pods.image, created.getImage().getImage());
        String imageId = pods.docker.inspectImageCmd(pods.image).exec().getId();
        assertTrue(created.getImageRef().equals(imageId) || created.getImageRef().contains("@sha256:"),
                "image_ref is the image's id or digest: " + created.getImageRef());
        assertTrue(created.getLabelsMap().entrySet().containsAll(config.getLabelsMap().entrySet()), created.getLabelsMap().toString());
        assertEquals(config.getAnnotationsMap(), created.getAnnotationsMap());
        assertEquals(pods.logFile(sandbox, config).toString(), created.getLogPath());
        assertEquals(1, created.getMountsCount());
        assertEquals("/data", created.getMounts(0).getContainerPath());
        assertEquals(data.toString(), created.getMounts(0).getHostPath());
        assertFalse(created.getMounts(0).getReadonly());

        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        ContainerStatus running = pods.status(id);
        assertEquals(ContainerState.CONTAINER_RUNNING, running.getState());
        assertTrue(running.getStartedAt() >= running.getCreatedAt(), "started_at after created_at");

        // The log copier runs: "hello" arrives in the CRI log file.
        Path logFile = pods.logFile(sandbox, config);
        await("hello in " + logFile, () -> PodFixture.stdoutLines(logFile).contains("hello"), Duration.ofSeconds(60));

        Map<String, String> mine = Map.of(PodFixture.SELECTOR_KEY, pods.namespace);
        assertEquals(id, single(list(ContainerFilter.newBuilder().putAllLabelSelector(mine))).getId());
        assertEquals(id, single(list(ContainerFilter.newBuilder().setId(id.substring(0, 12)))).getId());
        assertEquals(id, single(list(ContainerFilter.newBuilder().setPodSandboxId(sandboxId))).getId());
        assertEquals(1, list(ContainerFilter.newBuilder().putAllLabelSelector(mine).setState(state(ContainerState.CONTAINER_RUNNING))).size());
        assertEquals(0, list(ContainerFilter.newBuilder().putAllLabelSelector(mine).setState(state(ContainerState.CONTAINER_EXITED))).size());
        assertEquals(1, list(ContainerFilter.newBuilder().putAllLabelSelector(mine).putLabelSelector("tier", "front")).size());
        assertEquals(0, list(ContainerFilter.newBuilder().putAllLabelSelector(mine).putLabelSelector("tier", "back")).size());
        assertEquals(0, list(ContainerFilter.newBuilder().setPodSandboxId(PodFixture.randomId())).size());
        dev.skiff.cri.v1.Container item = single(list(ContainerFilter.newBuilder().setId(id)));
        assertEquals(sandboxId, item.getPodSandboxId());
        assertEquals(config.getMetadata(), item.getMetadata());
        assertEquals(pods.image, item.getImage().getImage());
        assertFalse(item.getImageRef().isEmpty());
        assertEquals(ContainerState.CONTAINER_RUNNING, item.getState());
        assertEquals(config.getAnnotationsMap(), item.getAnnotationsMap());
        assertTrue(item.getCreatedAt() > before, "list created_at in nanoseconds");
        assertTrue(list(ContainerFilter.newBuilder().setId(sandboxId)).isEmpty(), "the sandbox is not a container");

        // The process ignores SIGTERM (SIG_IGN survives exec), so the kill comes at the deadline: Docker's own
        // kill events time the grace (a busy machine can slow the call around it, not dockerd's timer much).
        long stopStart = Instant.now().getEpochSecond();
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
        List<Event> kills = killEvents(id, stopStart);
        assertEquals(List.of("15", "9"), kills.stream().map(e -> e.getActor().getAttributes().get("signal")).toList(),
                "SIGTERM, then SIGKILL");
        Duration grace = Duration.ofNanos(kills.get(1).getTimeNano() - kills.get(0).getTimeNano());
        assertTrue(grace.toMillis() >= 900 && grace.compareTo(Duration.ofSeconds(8)) < 0,
                "SIGKILL 1 s after SIGTERM (Docker's default would be 10 s): " + grace);
        ContainerStatus exited = pods.status(id);
        assertEquals(ContainerState.CONTAINER_EXITED, exited.getState());
        assertEquals(137, exited.getExitCode());
        assertEquals("Error", exited.getReason());
        assertTrue(exited.getFinishedAt() >= exited.getStartedAt());
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build()); // idempotent

        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        assertThrows(NotFoundException.class, () -> pods.docker.inspectContainerCmd(id).exec());
        assertCode(Status.Code.NOT_FOUND, () -> pods.status(id));
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build()); // idempotent
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).build());
        assertTrue(Files.exists(logFile), "the log file outlives the container (the kubelet removes it)");
    }

    @Test
    void dockerObjectCarriesCriDockerdsNameLabelsAndNamespaces() {
        PodSandboxConfig sandbox = pods.sandbox("api").build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "worker", "true")
                .putLabels("tier", "back").putAnnotations("owner", "team-b");
        b.getMetadataBuilder().setAttempt(4);
        ContainerConfig config = b.build();
        String id = pods.create(sandboxId, sandbox, config);

        InspectContainerResponse r = pods.docker.inspectContainerCmd(id).exec();
        PodSandboxMetadata m = sandbox.getMetadata();
        assertEquals("/k8s_worker_api_" + m.getNamespace() + "_" + m.getUid() + "_4", r.getName());
        Map<String, String> labels = r.getConfig().getLabels();
        assertEquals("worker", labels.get("io.kubernetes.container.name"));
        assertEquals("container", labels.get("io.kubernetes.docker.type"));
        assertEquals(sandboxId, labels.get("io.kubernetes.sandbox.id"));
        assertEquals("api", labels.get("io.kubernetes.pod.name"));
        assertEquals(m.getNamespace(), labels.get("io.kubernetes.pod.namespace"));
        assertEquals(m.getUid(), labels.get("io.kubernetes.pod.uid"));
        assertEquals(pods.logFile(sandbox, config).toString(), labels.get("io.kubernetes.container.logpath"));
        assertEquals("back", labels.get("tier"));
        assertEquals("team-b", labels.get("annotation.owner"));
        assertEquals("container:" + sandboxId, r.getHostConfig().getNetworkMode());
        assertEquals("container:" + sandboxId, r.getHostConfig().getIpcMode());
        assertEquals("container:" + sandboxId, r.getHostConfig().getPidMode());
        assertEquals(4, pods.status(id).getMetadata().getAttempt());
    }

    @Test
    void exitCodesAndReasons() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String ok = pods.start(sandboxId, sandbox, pods.container(sandbox, "ok", "exit 0").build());
        String bad = pods.start(sandboxId, sandbox, pods.container(sandbox, "bad", "echo oops >&2; exit 3").build());

        ContainerStatus okStatus = pods.awaitExited(ok, Duration.ofSeconds(60));
        assertEquals(0, okStatus.getExitCode());
        assertEquals("Completed", okStatus.getReason());
        assertTrue(okStatus.getFinishedAt() > 0 && okStatus.getFinishedAt() >= okStatus.getStartedAt());

        ContainerStatus badStatus = pods.awaitExited(bad, Duration.ofSeconds(60));
        assertEquals(3, badStatus.getExitCode());
        assertEquals("Error", badStatus.getReason());

        Map<String, String> mine = Map.of(PodFixture.SELECTOR_KEY, pods.namespace);
        assertEquals(2, list(ContainerFilter.newBuilder().putAllLabelSelector(mine).setState(state(ContainerState.CONTAINER_EXITED))).size());
    }

    @Test
    void anExitedContainersStatusComesAfterItsLastLogLines() throws Exception {
        // what the kubelet does for a FallbackToLogsOnError termination message: read the log as soon as the status says exited
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "chatty",
                "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; echo last words; exit 3").build();
        String id = pods.start(sandboxId, sandbox, config);
        Path logFile = pods.logFile(sandbox, config);
        await("container exits", () -> pods.status(id).getState() == ContainerState.CONTAINER_EXITED, Duration.ofSeconds(60));
        List<String> lines = Files.readAllLines(logFile);
        assertFalse(lines.isEmpty(), "log is empty");
        assertTrue(lines.get(lines.size() - 1).endsWith(" stdout F last words"),
                "the file ends with the container's last line when its exit is reported: " + lines.get(lines.size() - 1));
        assertEquals(3001, PodFixture.stdoutLines(logFile).size());
    }

    @Test
    void stopReturnsAsSoonAsTheProcessHonoursSigterm() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox,
                pods.container(sandbox, "graceful", "trap 'exit 0' TERM; while true; do sleep 0.1; done").build());
        long start = System.nanoTime();
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(30).build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 25_000, "no need to wait for the 30 s deadline, took " + millis + " ms");
        assertEquals(0, pods.status(id).getExitCode());
        assertEquals("Completed", pods.status(id).getReason());
    }

    @Test
    void stopAndRemoveOfUnknownContainersSucceed() {
        String unknown = PodFixture.randomId();
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(unknown).setTimeout(1).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());
        var e = assertCode(Status.Code.NOT_FOUND, () -> pods.status(unknown));
        assertTrue(e.getStatus().getDescription().contains(unknown), e.getStatus().getDescription());
    }

    @Test
    void commandArgsEnvAndWorkingDir() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "env", "echo \"$GREETING\"; pwd; echo \"$0 $1\"")
                .addArgs("arg0").addArgs("arg1")
                .addEnvs(KeyValue.newBuilder().setKey("GREETING").setValue("hi there"))
                .setWorkingDir("/tmp")
                .build();
        String id = pods.start(sandboxId, sandbox, config);
        pods.awaitExited(id, Duration.ofSeconds(60));
        Path logFile = pods.logFile(sandbox, config);
        await("three lines in " + logFile, () -> PodFixture.stdoutLines(logFile).size() >= 3, Duration.ofSeconds(60));
        assertEquals(List.of("hi there", "/tmp", "arg0 arg1"), PodFixture.stdoutLines(logFile));
    }

    @Test
    void securityContextIsApplied() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "locked",
                "id -u; id -g; id -G; grep NoNewPrivs /proc/self/status; touch /rootfs-write 2>/dev/null && echo rootfs-rw || echo rootfs-ro");
        b.getLinuxBuilder().getSecurityContextBuilder()
                .setRunAsUser(Int64Value.newBuilder().setValue(65534))
                .setRunAsGroup(Int64Value.newBuilder().setValue(65534))
                .addSupplementalGroups(1234)
                .setReadonlyRootfs(true)
                .setNoNewPrivs(true)
                .setCapabilities(Capability.newBuilder().addDropCapabilities("NET_RAW").addAddCapabilities("SYS_PTRACE"));
        ContainerConfig config = b.build();
        String id = pods.start(sandboxId, sandbox, config);
        pods.awaitExited(id, Duration.ofSeconds(60));
        Path logFile = pods.logFile(sandbox, config);
        await("five lines in " + logFile, () -> PodFixture.stdoutLines(logFile).size() >= 5, Duration.ofSeconds(60));
        List<String> out = PodFixture.stdoutLines(logFile);
        assertEquals("65534", out.get(0));
        assertEquals("65534", out.get(1));
        assertTrue(List.of(out.get(2).split(" ")).contains("1234"), "supplemental group: " + out.get(2));
        assertEquals("NoNewPrivs:\t1", out.get(3));
        assertEquals("rootfs-ro", out.get(4));

        InspectContainerResponse r = pods.docker.inspectContainerCmd(id).exec();
        assertTrue(List.of(r.getHostConfig().getCapDrop()).toString().contains("NET_RAW"));
        assertTrue(List.of(r.getHostConfig().getCapAdd()).toString().contains("SYS_PTRACE"));
    }

    @Test
    void resourcesAtCreateAndUpdate() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "limited", "exec sleep 1000");
        b.getLinuxBuilder().getResourcesBuilder()
                .setCpuShares(512).setCpuQuota(50_000).setCpuPeriod(100_000)
                .setMemoryLimitInBytes(64L << 20).setCpusetCpus("0");
        String id = pods.start(sandboxId, sandbox, b.build());
        var host = pods.docker.inspectContainerCmd(id).exec().getHostConfig();
        assertEquals(512, host.getCpuShares());
        assertEquals(50_000L, host.getCpuQuota());
        assertEquals(100_000L, host.getCpuPeriod());
        assertEquals(64L << 20, host.getMemory());
        assertEquals("0", host.getCpusetCpus());

        rt.updateContainerResources(UpdateContainerResourcesRequest.newBuilder().setContainerId(id)
                .setLinux(LinuxContainerResources.newBuilder().setCpuShares(256).setCpuQuota(20_000).setCpuPeriod(100_000)
                        .setMemoryLimitInBytes(128L << 20))
                .build());
        host = pods.docker.inspectContainerCmd(id).exec().getHostConfig();
        assertEquals(256, host.getCpuShares());
        assertEquals(20_000L, host.getCpuQuota());
        assertEquals(128L << 20, host.getMemory());
        // And the kernel sees it, from inside the container's cgroup.
        String limit = pods.sh(id, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max").trim();
        assertEquals(Long.toString(128L << 20), limit);
    }

    @Test
    void statsComeFromTheCgroups() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "busy", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; x=$(head -c 4000000 /dev/zero | tr '\\0' a); exec sleep 1000").build();
        String id = pods.start(sandboxId, sandbox, config);
        await("some CPU used", () -> {
            ContainerStats s = rt.containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()).getStats();
            return s.getCpu().getUsageCoreNanoSeconds().getValue() > 0;
        }, Duration.ofSeconds(60));
        ContainerStats s = rt.containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()).getStats();
        assertEquals(id, s.getAttributes().getId());
        assertEquals(config.getMetadata(), s.getAttributes().getMetadata());
        assertEquals(config.getAnnotationsMap(), s.getAttributes().getAnnotationsMap());
        assertTrue(s.getMemory().getWorkingSetBytes().getValue() > 0, s.toString());
        assertTrue(s.getCpu().getTimestamp() > 0);

        List<ContainerStats> listed = rt.listContainerStats(ListContainerStatsRequest.newBuilder()
                .setFilter(ContainerStatsFilter.newBuilder().setPodSandboxId(sandboxId)).build()).getStatsList();
        assertEquals(List.of(id), listed.stream().map(x -> x.getAttributes().getId()).toList());
        assertTrue(rt.listContainerStats(ListContainerStatsRequest.newBuilder()
                .setFilter(ContainerStatsFilter.newBuilder().putLabelSelector(PodFixture.SELECTOR_KEY, "nobody")).build())
                .getStatsList().isEmpty());

        PodSandboxStats pod = rt.podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(sandboxId).build()).getStats();
        assertEquals(sandboxId, pod.getAttributes().getId());
        assertEquals(sandbox.getMetadata(), pod.getAttributes().getMetadata());
        assertTrue(pod.getLinux().getCpu().getUsageCoreNanoSeconds().getValue() > 0, pod.toString());
        assertTrue(pod.getLinux().getContainersList().stream().anyMatch(c -> c.getAttributes().getId().equals(id)));
        List<PodSandboxStats> pods = rt.listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder()
                .setFilter(PodSandboxStatsFilter.newBuilder().putLabelSelector(PodFixture.SELECTOR_KEY, this.pods.namespace)).build())
                .getStatsList();
        assertEquals(List.of(sandboxId), pods.stream().map(x -> x.getAttributes().getId()).toList());
    }

    @Test
    void logCopyingResumesAfterAShimRestart() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "ticker", "i=0; while [ $i -lt 60 ]; do echo line-$i; i=$((i+1)); sleep 0.1; done").build();
        String id = pods.start(sandboxId, sandbox, config);
        Path logFile = pods.logFile(sandbox, config);
        await("first lines", () -> PodFixture.stdoutLines(logFile).size() >= 5, Duration.ofSeconds(60));
        pods.restart(Duration.ofMillis(1500));
        pods.awaitExited(id, Duration.ofSeconds(30));
        await("all 60 lines", () -> PodFixture.stdoutLines(logFile).size() >= 60, Duration.ofSeconds(60));
        sleep(500);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            expected.add("line-" + i);
        }
        assertEquals(expected, PodFixture.stdoutLines(logFile), "nothing lost, nothing repeated across the restart");
    }

    @Test
    void runtimeVersionStatusAndConfig() {
        VersionResponse v = rt.version(VersionRequest.newBuilder().setVersion("v1").build());
        assertEquals("docker", v.getRuntimeName());
        assertEquals("v1", v.getRuntimeApiVersion());
        assertEquals("0.1.0", v.getVersion());
        assertEquals(pods.docker.versionCmd().exec().getVersion(), v.getRuntimeVersion());

        StatusResponse status = rt.status(StatusRequest.getDefaultInstance());
        Map<String, Boolean> conditions = new java.util.HashMap<>();
        status.getStatus().getConditionsList().forEach(c -> conditions.put(c.getType(), c.getStatus()));
        assertEquals(Map.of("RuntimeReady", true, "NetworkReady", true), conditions);

        String driver = pods.docker.infoCmd().exec().getRawValues().get("CgroupDriver").toString();
        CgroupDriver expected = "systemd".equals(driver) ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
        assertEquals(expected, rt.runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());

        rt.updateRuntimeConfig(UpdateRuntimeConfigRequest.newBuilder().setRuntimeConfig(RuntimeConfig.newBuilder()
                .setNetworkConfig(NetworkConfig.newBuilder().setPodCidr("10.244.0.0/24"))).build());
    }

    private List<dev.skiff.cri.v1.Container> list(ContainerFilter.Builder filter) {
        return rt.listContainers(ListContainersRequest.newBuilder().setFilter(filter).build()).getContainersList();
    }

    private static <T> T single(List<T> items) {
        assertEquals(1, items.size(), items.toString());
        return items.get(0);
    }

    private static ContainerStateValue state(ContainerState s) {
        return ContainerStateValue.newBuilder().setState(s).build();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Docker's "kill" events of the container from {@code sinceSecond} on, in order; each names its signal. */
    private List<Event> killEvents(String id, long sinceSecond) throws InterruptedException {
        List<Event> out = new CopyOnWriteArrayList<>();
        long until = Instant.now().getEpochSecond() + 1; // the stream ends by itself then
        pods.docker.eventsCmd().withSince(Long.toString(sinceSecond)).withUntil(Long.toString(until))
                .withContainerFilter(id).withEventFilter("kill")
                .exec(new ResultCallback.Adapter<Event>() {
                    @Override
                    public void onNext(Event e) {
                        out.add(e);
                    }
                }).awaitCompletion(60, TimeUnit.SECONDS);
        return out;
    }
}
