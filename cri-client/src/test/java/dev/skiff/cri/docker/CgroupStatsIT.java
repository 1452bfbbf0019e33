package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CgroupStatsIT {
    private final DockerClient docker = TestDocker.client();
    private final CgroupStats stats = new CgroupStats(Path.of("/sys/fs/cgroup"));
    private String namespace;

    @BeforeEach
    void setUp() {
        namespace = TestDocker.newNamespace("skiff-stats-it");
    }

    @AfterEach
    void tearDown() {
        TestDocker.removeNamespace(namespace);
    }

    @Test
    void readsMemoryAndRisingCpuOfARunningContainer() throws Exception {
        String id = docker.createContainerCmd(TestImages.busybox(docker))
                .withCmd("sh", "-c", "while :; do :; done")
                .withLabels(Map.of("io.kubernetes.pod.namespace", namespace))
                .exec().getId();
        docker.startContainerCmd(id).exec();
        int pid = docker.inspectContainerCmd(id).exec().getState().getPidLong().intValue();

        CgroupStats.Usage first = stats.read(pid).orElseThrow();
        Thread.sleep(1000);
        CgroupStats.Usage second = stats.read(pid).orElseThrow();
        assertTrue(first.memoryUsageBytes() > 0, "memory usage " + first);
        assertTrue(first.memoryWorkingSetBytes() > 0 && first.memoryWorkingSetBytes() <= first.memoryUsageBytes(), first.toString());
        long busy = second.cpuUsageCoreNanos() - first.cpuUsageCoreNanos();
        assertTrue(busy > Duration.ofMillis(300).toNanos(), "a busy loop uses CPU: " + busy + "ns in 1s");
        assertTrue(second.timestampNanos() > first.timestampNanos());

        docker.killContainerCmd(id).exec();
        ContainerLogsIT.await("exit", () -> !docker.inspectContainerCmd(id).exec().getState().getRunning(), Duration.ofSeconds(30));
        if (ProcessHandle.of(pid).isEmpty()) {
            assertTrue(stats.read(pid).isEmpty(), "a gone process has no stats");
        }
    }
}
