package dev.skiff.cri.docker;

import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.PodSandboxConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** A container that outgrows its memory limit is killed by the kernel and reported as OOMKilled. */
@Timeout(120)
class OomKilledIT {
    @TempDir
    Path logs;
    private PodFixture pods;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-oom-it", logs);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void overTheMemoryLimitIsOomKilled() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "hog", "x=a; while true; do x=$x$x; done");
        b.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(8L << 20);
        String id = pods.start(sandboxId, sandbox, b.build());

        ContainerStatus s = pods.awaitExited(id, Duration.ofSeconds(60));
        assertEquals(ContainerState.CONTAINER_EXITED, s.getState());
        assertEquals("OOMKilled", s.getReason());
        assertEquals(137, s.getExitCode(), "SIGKILL from the OOM killer");
    }

    @Test
    void underTheLimitIsNot() {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        ContainerConfig.Builder b = pods.container(sandbox, "modest", "x=$(head -c 100000 /dev/zero | tr '\\0' a); exit 0");
        b.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(32L << 20);
        String id = pods.start(sandboxId, sandbox, b.build());
        ContainerStatus s = pods.awaitExited(id, Duration.ofSeconds(30));
        assertEquals("Completed", s.getReason());
        assertEquals(0, s.getExitCode());
    }
}
