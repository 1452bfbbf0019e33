package dev.skiff.kubelet.gc;

import dev.skiff.kubelet.worker.FakeClock;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static dev.skiff.cri.v1.ContainerState.CONTAINER_EXITED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GarbageCollectorTest {
    @TempDir
    Path tmp;

    @Test
    void runsOnItsOwnThreadOnScheduleAndStopsOnClose() throws Exception {
        FakeRuntime runtime = new FakeRuntime();
        FakeImages images = new FakeImages(1000, 0);
        Path podsDir = Files.createDirectories(tmp.resolve("pods"));
        Files.createDirectories(podsDir.resolve("u1"));
        PodOwnership pods = PodOwnership.of(() -> true, uid -> false, podsDir);
        FakeClock clock = new FakeClock(Instant.now());
        runtime.sandbox("s", "u1", PodSandboxState.SANDBOX_NOTREADY);
        runtime.container("c", "s", "u1", "app", CONTAINER_EXITED);
        GarbageCollector gc = new GarbageCollector(
                new ContainerGarbageCollector(runtime.service(), new ContainerGc(runtime.service()), pods, tmp, clock),
                new ImageGarbageCollector(images.service(), runtime.service(), new ImageGcPolicy(85, 80, Duration.ZERO),
                        Set.of(), images.stats(), clock),
                pods, Duration.ofMillis(50), Duration.ofMillis(50));
        gc.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && !runtime.removedSandboxes.contains("s")) {
            Thread.sleep(20);
        }
        assertEquals(java.util.List.of("c"), runtime.removedContainers);
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("gc")));

        gc.close();

        Thread.sleep(100);
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("gc") && t.isAlive()),
                "the gc thread is gone after close");
        gc.close(); // idempotent
    }
}
