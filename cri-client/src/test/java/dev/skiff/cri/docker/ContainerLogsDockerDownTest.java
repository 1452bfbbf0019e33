package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A copier whose Docker does not answer (dockerd restarting) waits for it instead of giving up. */
class ContainerLogsDockerDownTest {
    @TempDir
    Path dir;

    @Test
    void aCopierOutlastsAnUnreachableDockerAndStopsWhenTold() throws Exception {
        // no daemon listens here: every connection fails as with a stopped dockerd
        String endpoint = "unix://" + dir.resolve("docker.sock");
        DockerClient docker = DockerEndpoint.connect(endpoint);
        // give up after 2 failures of an answering Docker, retrying every 10-20 ms
        ContainerLogs logs = new ContainerLogs(endpoint, new ContainerLogs.Retry(Duration.ofMillis(10), Duration.ofMillis(20), 2));
        String id = "0123456789abcdef0123456789abcdef";
        Path log = dir.resolve("pod/c/0.log");
        try {
            logs.follow(id, log, false);
            assertTrue(Files.isRegularFile(log), "the log file exists at once");
            Thread.sleep(1_000); // ~50 rounds: far beyond the 2 failures allowed against an answering Docker
            assertTrue(logs.isCopying(id), "the copier gave up while Docker was away");
        } finally {
            logs.close();
            docker.close();
        }
        assertFalse(logs.isCopying(id), "close() stops the waiting copier");
    }
}
