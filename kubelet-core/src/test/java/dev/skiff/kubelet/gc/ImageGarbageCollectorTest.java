package dev.skiff.kubelet.gc;

import dev.skiff.kubelet.worker.FakeClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static dev.skiff.cri.v1.ContainerState.CONTAINER_EXITED;
import static dev.skiff.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageGarbageCollectorTest {
    private static final long MB = 1 << 20;
    private static final Duration MIN_AGE = Duration.ofMinutes(2);

    /** 1000 MB, 500 of them used by other things. */
    private final FakeImages images = new FakeImages(1000 * MB, 500 * MB);
    private final FakeRuntime runtime = new FakeRuntime();
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));

    private ImageGarbageCollector gc(int high, int low, String... sandboxImages) {
        return new ImageGarbageCollector(images.service(), runtime.service(), new ImageGcPolicy(high, low, MIN_AGE),
                Set.of(sandboxImages), images.stats(), clock);
    }

    /** Each image detected a minute after the one before, all older than the minimum age at the end. */
    private ImageGarbageCollector withOldImages(int high, int low, String... sandboxImages) {
        ImageGarbageCollector gc = gc(high, low, sandboxImages);
        gc.detectImages(); // the first detection after start: nothing present yet
        for (String name : List.of("a", "b", "c", "d")) {
            clock.advance(Duration.ofMinutes(1));
            images.add("sha256:" + name, 100 * MB, "test/" + name + ":1");
            gc.detectImages();
        }
        clock.advance(MIN_AGE);
        return gc; // 900 MB used: 90%
    }

    @Test
    void belowTheHighThresholdNothingIsRemoved() throws IOException {
        ImageGarbageCollector gc = withOldImages(91, 80);

        ImageGarbageCollector.Result r = gc.collect(true);

        assertEquals(90, r.usagePercent());
        assertEquals(0, r.bytesToFree());
        assertEquals(List.of(), images.removed);
    }

    @Test
    void atTheHighThresholdTheOldestUnusedGoFirstDownToTheLowThreshold() throws IOException {
        ImageGarbageCollector gc = withOldImages(90, 75);

        ImageGarbageCollector.Result r = gc.collect(true);

        // upstream: capacity * (100 - low) / 100 - available = 250 MB - 100 MB
        assertEquals(150 * MB, r.bytesToFree());
        assertEquals(List.of("sha256:a", "sha256:b"), images.removed, "first detected first, until enough");
        assertEquals(200 * MB, r.bytesFreed());
        assertTrue(r.freedEnough());
    }

    @Test
    void leastRecentlyUsedComesAfterNeverUsed() throws IOException {
        ImageGarbageCollector gc = gc(90, 75);
        gc.detectImages();
        clock.advance(Duration.ofMinutes(1));
        images.add("sha256:a", 100 * MB, "test/a:1");
        runtime.sandbox("s", "u1", dev.skiff.cri.v1.PodSandboxState.SANDBOX_READY);
        runtime.container("c", "s", "u1", "app", CONTAINER_RUNNING, "test/a:1", "sha256:a");
        gc.detectImages(); // a in use now
        clock.advance(Duration.ofMinutes(1));
        for (String name : List.of("b", "c", "d")) {
            images.add("sha256:" + name, 100 * MB, "test/" + name + ":1");
        }
        gc.detectImages();
        runtime.containers.clear(); // a's container went: a was last used a minute ago
        clock.advance(MIN_AGE);

        gc.collect(true);

        assertEquals(List.of("sha256:b", "sha256:c"), images.removed, "never-used b and c before a, used later");
    }

    @Test
    void anImageAnyContainerUsesStaysWhateverTheContainersState() throws IOException {
        ImageGarbageCollector gc = withOldImages(50, 0);
        runtime.container("dead", "s", "u1", "app", CONTAINER_EXITED, "test/a:1", "sha256:a");
        runtime.container("byid", "s", "u1", "app2", CONTAINER_EXITED, "sha256:b", "");

        ImageGarbageCollector.Result r = gc.collect(true);

        assertEquals(List.of("sha256:c", "sha256:d"), images.removed);
        assertFalse(r.freedEnough(), "only 200 of 400 MB were eligible");
    }

    @Test
    void theSandboxImageAndPinnedImagesAreNeverRemoved() throws IOException {
        ImageGarbageCollector gc = gc(50, 0, "registry.k8s.io/pause:3.9", "docker.io/library/skiffpause");
        gc.detectImages();
        images.add("sha256:p1", 100 * MB, "registry.k8s.io/pause:3.9");
        images.add("sha256:p2", 100 * MB, "skiffpause:latest");
        images.images.add(dev.skiff.cri.v1.Image.newBuilder().setId("sha256:pinned").setSize(100 * MB).setPinned(true).build());
        images.add("sha256:x", 100 * MB, "test/x:1");
        clock.advance(Duration.ofMinutes(1));
        gc.detectImages();
        clock.advance(MIN_AGE);

        gc.collect(true);

        assertEquals(List.of("sha256:x"), images.removed);
    }

    @Test
    void anImageFirstSeenLessThanTheMinimumAgeAgoStays() throws IOException {
        ImageGarbageCollector gc = withOldImages(50, 0);
        images.add("sha256:young", 50 * MB, "test/young:1");
        gc.detectImages();
        clock.advance(MIN_AGE.minusSeconds(1));

        ImageGarbageCollector.Result r = gc.collect(true);

        assertEquals(List.of("sha256:a", "sha256:b", "sha256:c", "sha256:d"), images.removed);
        assertFalse(images.removed.contains("sha256:young"));
        assertFalse(r.freedEnough(), "the young image was not eligible: the warning case");
    }

    @Test
    void imagesPresentAtTheFirstDetectionCountAsOld() throws IOException {
        images.add("sha256:before", 400 * MB, "test/before:1");
        ImageGarbageCollector gc = gc(50, 40);

        gc.collect(true); // the first pass is the first detection: no waiting out the minimum age after a restart

        assertEquals(List.of("sha256:before"), images.removed);
    }

    @Test
    void anImageAppearingBetweenDetectionAndRemovalIsNotTouched() throws IOException {
        ImageGarbageCollector gc = withOldImages(50, 0);
        images.refuseRemoval.add("sha256:a"); // e.g. a container made outside the CRI still uses it

        gc.collect(true);

        assertEquals(List.of("sha256:b", "sha256:c", "sha256:d"), images.removed, "a failed removal is skipped");
    }

    @Test
    void whileSourcesAreNotReadyItOnlyDetects() throws IOException {
        ImageGarbageCollector gc = withOldImages(50, 0);

        ImageGarbageCollector.Result r = gc.collect(false);

        assertEquals(90, r.usagePercent());
        assertEquals(List.of(), images.removed);
    }

    @Test
    void anUnreadableImageFilesystemIsAnError() {
        ImageGarbageCollector gc = new ImageGarbageCollector(images.service(), runtime.service(),
                new ImageGcPolicy(50, 0, MIN_AGE), Set.of(), path -> new FsStats(0, 0), clock);
        assertThrows(IOException.class, () -> gc.collect(true));
    }

    @Test
    void policyValuesAreCheckedAndHundredTurnsItOff() {
        assertFalse(new ImageGcPolicy(100, 80, MIN_AGE).enabled());
        assertTrue(new ImageGcPolicy(85, 80, MIN_AGE).enabled());
        assertThrows(IllegalArgumentException.class, () -> new ImageGcPolicy(101, 80, MIN_AGE));
        assertThrows(IllegalArgumentException.class, () -> new ImageGcPolicy(80, 85, MIN_AGE));
        assertThrows(IllegalArgumentException.class, () -> new ImageGcPolicy(85, -1, MIN_AGE));
    }

    @Test
    void usageAndAmountToFreeFollowUpstreamArithmetic() {
        FsStats fs = new FsStats(1000, 150);
        assertEquals(85, fs.usagePercent());
        assertEquals(50, fs.bytesToFree(80));
        assertEquals(0, new FsStats(1000, 300).bytesToFree(80));
        assertEquals(0, new FsStats(1000, 2000).usagePercent(), "available above capacity is capped");
    }

    @Test
    void referencesAreComparedTheWayDockerListsTags() {
        assertEquals("busybox:latest", ImageGarbageCollector.normalize("docker.io/library/busybox"));
        assertEquals("skiff/pause:1", ImageGarbageCollector.normalize("docker.io/skiff/pause:1"));
        assertEquals("localhost:5000/a:latest", ImageGarbageCollector.normalize("localhost:5000/a"));
        assertEquals("sha256:abc", ImageGarbageCollector.normalize("sha256:abc"));
        assertEquals("a@sha256:abc", ImageGarbageCollector.normalize("a@sha256:abc"));
    }
}
