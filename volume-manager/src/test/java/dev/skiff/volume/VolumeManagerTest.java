package dev.skiff.volume;

import dev.skiff.volume.testing.FakeMounter;
import dev.skiff.volume.testing.FakePlugin;
import dev.skiff.volume.testing.FakePodState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VolumeManagerTest {
    @TempDir
    Path root;

    private final FakePlugin dirs = new FakePlugin("test/dir", false);
    private final FakePlugin data = new FakePlugin("test/data", true);
    private final FakePodState podState = new FakePodState();
    private VolumeManager manager;

    @BeforeEach
    void start() {
        manager = new VolumeManager(new VolumePaths(root), podState, new FakeMounter(), List.of(dirs, data));
        manager.start();
    }

    @AfterEach
    void stop() {
        manager.close();
    }

    @Test
    void waitReturnsTheMountedVolumesOnceSetUp() throws Exception {
        Pod pod = FakePodState.pod("u1", List.of("scratch"), List.of("conf"));
        podState.pods.put("u1", pod);
        podState.running.add("u1");
        Map<String, MountedVolume> vols = manager.waitForAttachAndMount(pod, Duration.ofSeconds(5), () -> false);
        assertEquals(root.resolve("pods/u1/volumes/test~dir/scratch"), vols.get("scratch").path());
        assertEquals(root.resolve("pods/u1/volumes/test~data/conf"), vols.get("conf").path());
        assertEquals(vols, manager.mountedVolumes("u1"));
        assertTrue(manager.podHasVolumes("u1"));
    }

    @Test
    void waitGivesUpEarlyWithTheErrorWhenTheVolumeFails() {
        data.failing.put("conf", "configmap \"conf\" not found");
        Pod pod = FakePodState.pod("u1", List.of("scratch"), List.of("conf"));
        podState.pods.put("u1", pod);
        long start = System.nanoTime();
        VolumeException e = assertThrows(VolumeException.class,
                () -> manager.waitForAttachAndMount(pod, Duration.ofMinutes(2), () -> false));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(60)) < 0,
                "gave up early, not at the 2 min timeout");
        assertEquals("MountVolume.SetUp failed for volume \"conf\" : configmap \"conf\" not found", e.getMessage());
        assertEquals(e.getMessage(), manager.errors("u1").get("conf"));
    }

    @Test
    void aVolumeBackingOffIsReportedWithoutWaitingForItsRetry() throws Exception {
        dirs.failing.put("scratch", "hostPath type check failed: /x is not a directory");
        Pod pod = FakePodState.pod("u1", List.of("scratch"), List.of());
        podState.pods.put("u1", pod);
        assertThrows(VolumeException.class, () -> manager.waitForAttachAndMount(pod, Duration.ofMinutes(2), () -> false));
        int attempts = dirs.setUps.size();
        // the same pod synced again: its retry is not due yet, so the wait reports the last error at once
        long start = System.nanoTime();
        VolumeException e = assertThrows(VolumeException.class,
                () -> manager.waitForAttachAndMount(pod, Duration.ofMinutes(2), () -> false));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofMillis(1500)) < 0);
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
        assertTrue(dirs.setUps.size() <= attempts + 1, "no retry storm: " + dirs.setUps);
    }

    @Test
    void unsupportedVolumeFailsAtOnce() {
        Pod pod = new PodBuilder(FakePodState.pod("u1", List.of(), List.of())).editSpec().addNewVolume().withName("n")
                .withNewNfs().withServer("x").withPath("/").endNfs().endVolume().endSpec().build();
        VolumeException e = assertThrows(VolumeException.class,
                () -> manager.waitForAttachAndMount(pod, Duration.ofMinutes(2), () -> false));
        assertTrue(e.getMessage().contains("volume \"n\": nfs volumes are not supported"), e.getMessage());
    }

    @Test
    void waitForUnmountReturnsOnceThePodIsGone() throws Exception {
        Pod pod = FakePodState.pod("u1", List.of("scratch"), List.of());
        podState.pods.put("u1", pod);
        podState.running.add("u1");
        manager.waitForAttachAndMount(pod, Duration.ofSeconds(5), () -> false);
        podState.pods.remove("u1");
        podState.running.remove("u1");
        manager.podsChanged();
        manager.waitForUnmount("u1", Duration.ofSeconds(5));
        assertTrue(manager.mountedVolumes("u1").isEmpty());
        assertEquals(1, dirs.tearDowns.size());
    }
}
