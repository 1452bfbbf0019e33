package dev.skiff.volume.reconciler;

import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.cache.ActualStateOfWorld;
import dev.skiff.volume.cache.ActualStateOfWorld.Mounted;
import dev.skiff.volume.cache.DesiredStateOfWorld;
import dev.skiff.volume.cache.VolumeErrors;
import dev.skiff.volume.plugin.VolumePluginManager;
import dev.skiff.volume.populator.DesiredStateOfWorldPopulator;
import dev.skiff.volume.subpath.SafeSubPath;
import dev.skiff.volume.testing.FakeMounter;
import dev.skiff.volume.testing.FakePlugin;
import dev.skiff.volume.testing.FakePodState;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcilerTest {
    @TempDir
    Path root;

    private final FakePlugin dirs = new FakePlugin("test/dir", false);
    private final FakePlugin data = new FakePlugin("test/data", true);
    private final FakePodState podState = new FakePodState();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private DesiredStateOfWorld desired;
    private final ActualStateOfWorld actual = new ActualStateOfWorld();
    private final VolumeErrors errors = new VolumeErrors();
    private DesiredStateOfWorldPopulator populator;
    private Reconciler reconciler;
    private VolumePaths paths;

    @BeforeEach
    void setUp() {
        paths = new VolumePaths(root);
        VolumePluginManager plugins = new VolumePluginManager(List.of(dirs, data));
        desired = new DesiredStateOfWorld(plugins, paths);
        populator = new DesiredStateOfWorldPopulator(podState, desired);
        reconciler = new Reconciler(desired, actual, plugins, new SafeSubPath(new FakeMounter()), podState, paths, errors,
                now::get);
    }

    private Pod add(String uid, List<String> emptyDirs, List<String> configMaps) {
        Pod pod = FakePodState.pod(uid, emptyDirs, configMaps);
        podState.pods.put(uid, pod);
        podState.running.add(uid);
        populator.populate();
        return pod;
    }

    @Test
    void setsUpWhatIsWantedOnceAndThenDoesNothing() {
        add("u1", List.of("scratch"), List.of("conf"));
        assertEquals(1, reconciler.reconcile());
        assertEquals(List.of("u1/scratch"), dirs.setUps);
        assertEquals(List.of("u1/conf"), data.setUps);
        Mounted m = actual.volume("u1", "scratch").orElseThrow();
        assertEquals(paths.volumeDir("u1", "test/dir", "scratch"), m.dir());
        assertEquals(root.resolve("pods/u1/volumes/test~dir/scratch"), m.dir());

        populator.populate(); // the same pod objects: nothing changes
        assertEquals(0, reconciler.reconcile());
        assertEquals(1, dirs.setUps.size());
        assertEquals(1, data.setUps.size());
    }

    @Test
    void passWithoutChangesLooksAtNoPodsHoweverManyThereAre() {
        for (int i = 0; i < 100; i++) {
            add("u" + i, List.of("a", "b"), List.of());
        }
        assertEquals(100, reconciler.reconcile());
        assertEquals(200, actual.size());
        populator.populate();
        assertEquals(0, reconciler.reconcile());
        add("new", List.of("a"), List.of());
        assertEquals(1, reconciler.reconcile());
    }

    @Test
    void failureIsRecordedAndRetriedAfterItsBackOff() {
        dirs.failing.put("scratch", "disk on fire");
        add("u1", List.of("scratch"), List.of());
        reconciler.reconcile();
        assertTrue(actual.volume("u1", "scratch").isEmpty());
        assertTrue(errors.failures("u1").get("scratch").message().contains("disk on fire"));
        assertTrue(errors.failures("u1").get("scratch").message().startsWith("MountVolume.SetUp failed for volume \"scratch\""));

        reconciler.reconcile(); // not yet due
        assertEquals(1, dirs.setUps.size());
        dirs.failing.clear();
        now.addAndGet(600_000_000L); // past the first 500 ms back-off
        reconciler.reconcile();
        assertEquals(2, dirs.setUps.size());
        assertTrue(actual.volume("u1", "scratch").isPresent());
        assertTrue(errors.failures("u1").isEmpty());
    }

    @Test
    void tearsDownOnlyOnceTheContainersAreGone() {
        add("u1", List.of("scratch"), List.of());
        reconciler.reconcile();
        podState.pods.remove("u1");
        populator.populate();
        reconciler.reconcile();
        assertTrue(dirs.tearDowns.isEmpty(), "containers may still run: keep the volume");
        assertTrue(actual.volume("u1", "scratch").isPresent());

        podState.running.remove("u1");
        populator.populate();
        reconciler.reconcile();
        assertEquals(List.of(paths.volumeDir("u1", "test/dir", "scratch")), dirs.tearDowns);
        assertTrue(actual.volumes("u1").isEmpty());
    }

    @Test
    void everyMountAndUnmountIsToldWithItsPluginOutcomeAndDuration() {
        List<String> told = new java.util.ArrayList<>();
        reconciler.onOperation((plugin, operation, ok, nanos) -> told.add(plugin + " " + operation + " " + ok
                + (nanos >= 0 ? "" : " negative")));
        dirs.failing.put("scratch", "disk on fire");
        add("u1", List.of("scratch"), List.of());
        reconciler.reconcile();
        dirs.failing.clear();
        now.addAndGet(600_000_000L);
        reconciler.reconcile();
        podState.pods.remove("u1");
        podState.running.remove("u1");
        populator.populate();
        reconciler.reconcile();
        assertEquals(List.of("test/dir volume_mount false", "test/dir volume_mount true", "test/dir volume_unmount true"),
                told);
    }

    @Test
    void terminatingPodGetsNoNewVolumes() {
        Pod pod = FakePodState.pod("u1", List.of("scratch"), List.of());
        podState.pods.put("u1", pod);
        podState.running.add("u1");
        podState.terminating.add("u1");
        populator.populate();
        reconciler.reconcile();
        assertTrue(dirs.setUps.isEmpty());
    }

    @Test
    void remountRefreshesOnlyTheRemountableVolumes() {
        add("u1", List.of("scratch"), List.of("conf"));
        reconciler.reconcile();
        desired.markRemount("u1");
        reconciler.reconcile();
        assertEquals(1, dirs.setUps.size());
        assertEquals(2, data.setUps.size());
    }

    @Test
    void reconstructedVolumeIsAdoptedWhenItsPodIsWantedAndTornDownWhenNot() {
        actual.markMounted(new Mounted("kept", "scratch", "test/dir", paths.volumeDir("kept", "test/dir", "scratch"),
                paths.volumeDir("kept", "test/dir", "scratch"), false, Mounted.RECONSTRUCTED));
        actual.markMounted(new Mounted("gone", "scratch", "test/dir", paths.volumeDir("gone", "test/dir", "scratch"),
                paths.volumeDir("gone", "test/dir", "scratch"), false, Mounted.RECONSTRUCTED));
        reconciler.lookAtAll(actual.podUids());
        add("kept", List.of("scratch"), List.of());
        reconciler.reconcile();
        assertEquals(List.of("kept/scratch"), dirs.setUps, "adopted through an idempotent setUp");
        assertFalse(actual.volume("kept", "scratch").orElseThrow().reconstructed());
        assertEquals(List.of(paths.volumeDir("gone", "test/dir", "scratch")), dirs.tearDowns);
        assertTrue(actual.volumes("gone").isEmpty());
    }

    @Test
    void aVolumeFoundOnDiskUnderAnotherNameIsAdoptedByItsDirAndNeverTornDownWhileWanted() {
        Path pvDir = paths.volumeDir("u1", "test/dir", "pv-1");
        actual.markMounted(new Mounted("u1", "volumes/test~dir/pv-1", "test/dir", pvDir, pvDir, false,
                Mounted.RECONSTRUCTED));
        dirs.dirNames.put("data", "pv-1");
        dirs.unresolved.put("data", "persistentvolumeclaim \"data\" is not bound");
        add("u1", List.of("data"), List.of());
        podState.running.remove("u1"); // containers gone: only the unresolved volume keeps it
        reconciler.lookAtAll(actual.podUids());
        reconciler.reconcile();
        assertTrue(dirs.tearDowns.isEmpty(), "torn down while a wanted volume could still be it");
        assertTrue(actual.volume("u1", "volumes/test~dir/pv-1").isPresent());

        dirs.unresolved.clear();
        now.addAndGet(Reconciler.RECHECK_NANOS + 600_000_000L);
        reconciler.reconcile();
        assertTrue(dirs.tearDowns.isEmpty(), "torn down: " + dirs.tearDowns);
        Mounted m = actual.volume("u1", "data").orElseThrow();
        assertFalse(m.reconstructed(), "adopted through setUp");
        assertEquals(pvDir, m.dir());
        assertEquals(List.of("data"), List.copyOf(actual.volumes("u1").keySet()));

        podState.pods.remove("u1");
        populator.populate();
        reconciler.reconcile();
        assertEquals(List.of(pvDir), dirs.tearDowns, "torn down by its dir once the pod is gone");
    }

    @Test
    void reconstructedVolumeThatFailsToRefreshStaysButIsNotReadyForNewContainers() {
        actual.markMounted(new Mounted("u1", "conf", "test/data", paths.volumeDir("u1", "test/data", "conf"),
                paths.volumeDir("u1", "test/data", "conf"), true, Mounted.RECONSTRUCTED));
        data.failing.put("conf", "configmap \"conf\" not found");
        add("u1", List.of(), List.of("conf"));
        reconciler.reconcile();
        Mounted m = actual.volume("u1", "conf").orElseThrow();
        assertTrue(m.reconstructed(), "stays uncertain until a setUp succeeds");
        assertTrue(dirs.tearDowns.isEmpty() && data.tearDowns.isEmpty(), "a wanted volume is never torn down");
        data.failing.clear();
        now.addAndGet(600_000_000L);
        reconciler.reconcile();
        assertFalse(actual.volume("u1", "conf").orElseThrow().reconstructed());
    }

    @Test
    void unsupportedVolumeIsNamedInTheDesiredState() {
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(FakePodState.pod("u1", List.of(), List.of()))
                .editSpec().addNewVolume().withName("claim").withNewPersistentVolumeClaim().withClaimName("c")
                .endPersistentVolumeClaim().endVolume().endSpec().build();
        podState.pods.put("u1", pod);
        populator.populate();
        String why = desired.pod("u1").orElseThrow().unsupported().get("claim");
        assertTrue(why.contains("persistentVolumeClaim volumes are not supported"), why);
    }
}
