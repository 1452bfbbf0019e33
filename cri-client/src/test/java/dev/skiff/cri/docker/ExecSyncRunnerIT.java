package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExecSyncRunnerIT {
    private final DockerClient docker = TestDocker.client();
    private final ExecSyncRunner runner = new ExecSyncRunner(docker);
    private String namespace;

    @BeforeEach
    void setUp() {
        namespace = TestDocker.newNamespace("skiff-exec-it");
    }

    @AfterEach
    void tearDown() {
        TestDocker.removeNamespace(namespace);
    }

    @Test
    void returnsExitCodeStdoutAndStderrApart() {
        String id = run("sleep 3600");
        ExecSyncResponse r = runner.run(request(id, 10, "sh", "-c", "echo out; echo err >&2; echo more; exit 3"));
        assertEquals(3, r.getExitCode());
        assertEquals("out\nmore\n", r.getStdout().toStringUtf8());
        assertEquals("err\n", r.getStderr().toStringUtf8());
        assertEquals(0, runner.run(request(id, 0, "true")).getExitCode());
        // Output from inside the container: the exec runs there.
        assertEquals("3600", runner.run(request(id, 5, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' ' | cut -d' ' -f2"))
                .getStdout().toStringUtf8().trim());
    }

    @Test
    void timeoutKillsTheProcessAndFailsWithDeadlineExceeded() throws Exception {
        String id = run("sleep 3600");
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> runner.run(request(id, 1, "sleep", "30")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(id) && e.getStatus().getDescription().contains("sleep 30"), e.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(20)) < 0, "the 1 s timeout ended the 30 s sleep early, took " + took);
        ContainerLogsIT.await("the exec'd sleep is gone", () -> processes(id).stream().noneMatch(p -> p.contains("sleep 30")),
                Duration.ofSeconds(60));
        assertTrue(processes(id).stream().anyMatch(p -> p.contains("sleep 3600")), "the container itself still runs");
    }

    @Test
    void unknownAndStoppedContainersAreRefused() throws Exception {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> runner.run(request("no-such-container-x", 1, "true")));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no-such-container-x"));

        String id = run("true");
        ContainerLogsIT.await("exit", () -> !docker.inspectContainerCmd(id).exec().getState().getRunning(), Duration.ofSeconds(30));
        e = assertThrows(StatusRuntimeException.class, () -> runner.run(request(id, 1, "true")));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(id));
    }

    private List<String> processes(String id) {
        String[][] ps = docker.topContainerCmd(id).exec().getProcesses();
        return Arrays.stream(ps).map(row -> String.join(" ", row)).toList();
    }

    private static ExecSyncRequest request(String id, long timeout, String... cmd) {
        return ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(timeout).addAllCmd(List.of(cmd)).build();
    }

    private String run(String script) {
        String id = docker.createContainerCmd(TestImages.busybox(docker))
                .withCmd("sh", "-c", "exec " + script)
                .withLabels(Map.of("io.kubernetes.pod.namespace", namespace))
                .exec().getId();
        docker.startContainerCmd(id).exec();
        return id;
    }
}
