package dev.skiff.cri.docker;

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

import static dev.skiff.cri.docker.PodFixture.assertCode;
import static dev.skiff.cri.docker.PodFixture.await;
import static org.junit.jupiter.api.Assertions.*;

/** Less common container options, and the calls DockerRuntimeService delegates (ExecSync, ReopenContainerLog). */
@Timeout(120)
class ContainerOptionsIT {
    @TempDir
    Path logs;
    private PodFixture pods;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-opt-it", logs);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void devicesAreExposed() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "dev", "exec sleep 1000")
                .addDevices(Device.newBuilder().setHostPath("/dev/zero").setContainerPath("/dev/skiff-zero").setPermissions("rw"))
                .build());
        assertEquals("4\n", pods.sh(id, "head -c 4 /dev/skiff-zero | wc -c | tr -d ' '"));
    }

    @Test
    void runAsUsernameResolvesInTheImage() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "nobody", "exec sleep 1000");
        b.getLinuxBuilder().getSecurityContextBuilder().setRunAsUsername("nobody");
        String id = pods.start(sandboxId, sandbox, b.build());
        assertEquals("65534\n", pods.sh(id, "id -u"));
    }

    @Test
    void ipcNodeSharesTheHostsIpcNamespace() throws Exception {
        PodSandboxConfig sandbox = PodFixture.withNamespaces(pods.sandbox(), NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.NODE).build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "hostipc", "exec sleep 1000").build());
        String hostIpc = Files.readSymbolicLink(Path.of("/proc/self/ns/ipc")).toString();
        assertEquals(hostIpc, pods.sh(id, "readlink /proc/self/ns/ipc").trim());
    }

    @Test
    void ttyContainerIsLogged() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "tty", "echo on-a-tty; exec sleep 1000").setTty(true).setStdin(true).build();
        String id = pods.start(sandboxId, sandbox, config);
        var c = pods.docker.inspectContainerCmd(id).exec().getConfig();
        assertTrue(c.getTty());
        assertTrue(c.getStdinOpen());
        Path logFile = pods.logFile(sandbox, config);
        await("tty output in the log", () -> {
            try {
                return Files.exists(logFile) && Files.readString(logFile).contains("on-a-tty");
            } catch (java.io.IOException e) {
                return false;
            }
        }, Duration.ofSeconds(60));
    }

    @Test
    void execSyncRunsInTheContainerAndHonoursItsTimeout() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000")
                .addEnvs(KeyValue.newBuilder().setKey("WHO").setValue("skiff")).build());
        ExecSyncResponse r = pods.exec(id, "sh", "-c", "echo $WHO; echo err >&2; exit 7");
        assertEquals("skiff\n", r.getStdout().toStringUtf8());
        assertEquals("err\n", r.getStderr().toStringUtf8());
        assertEquals(7, r.getExitCode());

        long start = System.nanoTime();
        assertCode(Status.Code.DEADLINE_EXCEEDED, () -> pods.rt().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(id).addCmd("sleep").addCmd("30").setTimeout(1).build()));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 10_000, "returns at the deadline, not when sleep ends");
    }

    @Test
    void reopenContainerLogContinuesIntoAFreshFile() throws Exception {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "ticker",
                "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done").build();
        String id = pods.start(sandboxId, sandbox, config);
        Path logFile = pods.logFile(sandbox, config);
        await("ticks", () -> PodFixture.stdoutLines(logFile).size() >= 3, Duration.ofSeconds(60));

        Path rotated = logFile.resolveSibling("0.log.1");
        Files.move(logFile, rotated);
        pods.rt().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
        await("ticks in the fresh file", () -> PodFixture.stdoutLines(logFile).size() >= 3, Duration.ofSeconds(60));
        int lastOld = Integer.parseInt(last(PodFixture.stdoutLines(rotated)).substring("tick-".length()));
        int firstNew = Integer.parseInt(PodFixture.stdoutLines(logFile).get(0).substring("tick-".length()));
        assertTrue(firstNew > lastOld, "the fresh file continues where the old one ended: " + lastOld + " then " + firstNew);
    }

    @Test
    void containerStateIsRebuiltFromDockerAfterAShimRestart() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig config = pods.container(sandbox, "app", "exec sleep 1000")
                .putLabels("tier", "front").putAnnotations("io.kubernetes.container.restartCount", "2").build();
        String id = pods.start(sandboxId, sandbox, config);
        pods.restart();

        ContainerStatus s = pods.status(id);
        assertEquals(config.getMetadata(), s.getMetadata());
        assertEquals(ContainerState.CONTAINER_RUNNING, s.getState());
        assertEquals(config.getAnnotationsMap(), s.getAnnotationsMap());
        assertEquals("front", s.getLabelsMap().get("tier"));
        assertEquals(pods.logFile(sandbox, config).toString(), s.getLogPath());
        var listed = pods.rt().listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(sandboxId)).build()).getContainersList();
        assertEquals(1, listed.size());
        assertEquals(sandboxId, listed.get(0).getPodSandboxId());
    }

    @Test
    void oomScoreAdjIsAppliedAndClampedWhereLoweringIsNotPermitted() throws Exception {
        int own = OomScoreAdj.fromProc().own();
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        int pausePid = pods.docker.inspectContainerCmd(sandboxId).exec().getState().getPidLong().intValue();
        assertEquals(Math.max(-998, own), score(pausePid), "the sandbox asks for -998 (cri-dockerd) and gets at most our own");

        ContainerConfig.Builder high = pods.container(sandbox, "high", "exec sleep 1000");
        high.getLinuxBuilder().getResourcesBuilder().setOomScoreAdj(900);
        String highId = pods.start(sandboxId, sandbox, high.build());
        assertEquals("900", pods.sh(highId, "cat /proc/self/oom_score_adj").trim());

        ContainerConfig.Builder low = pods.container(sandbox, "low", "exec sleep 1000");
        low.getLinuxBuilder().getResourcesBuilder().setOomScoreAdj(-999);
        String lowId = pods.start(sandboxId, sandbox, low.build());
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(lowId).getState(), "a clamped score still starts");
        int lowPid = pods.docker.inspectContainerCmd(lowId).exec().getState().getPidLong().intValue();
        assertEquals(Math.max(-999, own), score(lowPid));
    }

    private static int score(int pid) throws java.io.IOException {
        return Integer.parseInt(Files.readString(Path.of("/proc/" + pid + "/oom_score_adj")).trim());
    }

    private static String last(java.util.List<String> lines) {
        assertFalse(lines.isEmpty());
        return lines.get(lines.size() - 1);
    }
}
