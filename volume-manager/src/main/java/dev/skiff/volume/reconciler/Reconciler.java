package dev.skiff.volume.reconciler;

import dev.skiff.volume.PodStateProvider;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeOperationListener;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.cache.ActualStateOfWorld;
import dev.skiff.volume.cache.ActualStateOfWorld.Mounted;
import dev.skiff.volume.cache.DesiredStateOfWorld;
import dev.skiff.volume.cache.DesiredStateOfWorld.PodVolumes;
import dev.skiff.volume.cache.VolumeErrors;
import dev.skiff.volume.cache.VolumeToMount;
import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumePluginManager;
import dev.skiff.volume.plugin.VolumeSpec;
import dev.skiff.volume.subpath.SafeSubPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Closes the gap between the desired and the actual state of world, one pod at a time (upstream
 * volumemanager/reconciler): tears down what is set up and no longer wanted — only once the pod's containers are
 * gone — and sets up what is wanted and not set up, or set up at an older generation when the plugin refreshes its
 * content. Idempotent: running it again changes nothing. Each pass looks only at the pods that changed and the
 * retries that came due, so its cost follows the changes, not the number of pods.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** How soon a pod whose volumes must wait for its containers to stop is looked at again. */
    static final long RECHECK_NANOS = 1_000_000_000L;

    private final DesiredStateOfWorld desired;
    private final ActualStateOfWorld actual;
    private final VolumePluginManager plugins;
    private final SafeSubPath subPaths;
    private final PodStateProvider podState;
    private final VolumePaths paths;
    private final VolumeErrors errors;
    private final LongSupplier nanoTime;
    private volatile Consumer<String> recovered = uid -> { };
    private volatile VolumeOperationListener operations = VolumeOperationListener.NONE;
    /** uid → when to look at the pod again (a retry or a recheck); only the reconciler thread touches it. */
    private final Map<String, Long> due = new HashMap<>();
    /** uid → namespace/name of the pods it set volumes up for, so teardown logs name a pod that is gone. */
    private final Map<String, String> podRefs = new HashMap<>();

    public Reconciler(DesiredStateOfWorld desired, ActualStateOfWorld actual, VolumePluginManager plugins,
                      SafeSubPath subPaths, PodStateProvider podState, VolumePaths paths, VolumeErrors errors,
                      LongSupplier nanoTime) {
        this.desired = desired;
        this.actual = actual;
        this.plugins = plugins;
        this.subPaths = subPaths;
        this.podState = podState;
        this.paths = paths;
        this.errors = errors;
        this.nanoTime = nanoTime;
    }

    /** Told the pod uid when a volume that had failed is set up at last (so the pod can be synced at once). */
    public void onRecovered(Consumer<String> listener) {
        this.recovered = listener;
    }

    /** Told of every mount and unmount the reconciler runs, with its plugin, outcome and duration. */
    public void onOperation(VolumeOperationListener listener) {
        this.operations = listener;
    }

    /** One pass over the pods that changed or came due. Returns the number of pods looked at. */
    public int reconcile() {
        long now = nanoTime.getAsLong();
        Set<String> uids = new LinkedHashSet<>(desired.drainDirty());
        for (Iterator<Map.Entry<String, Long>> it = due.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() - now <= 0) {
                uids.add(e.getKey());
                it.remove();
            }
        }
        for (String uid : uids) {
            try {
                reconcilePod(uid, now);
            } catch (RuntimeException e) {
                // one pod's surprise must not stop the others' volumes
                log.error("volumes of pod uid {}: reconcile failed: {}", uid, e.toString(), e);
                later(uid, now + RECHECK_NANOS);
            }
        }
        return uids.size();
    }

    /** Marks every pod to be looked at in the next pass (after reconstruction). */
    public void lookAtAll(Set<String> uids) {
        long now = nanoTime.getAsLong();
        uids.forEach(uid -> later(uid, now));
    }

    private void reconcilePod(String uid, long now) {
        Optional<PodVolumes> want = desired.pod(uid);
        Map<String, Mounted> have = actual.volumes(uid);
        boolean containersGone = !podState.couldHaveRunningContainers(uid);
        boolean allResolved = true;
        if (want.isPresent() && have.values().stream().anyMatch(Mounted::reconstructed)) {
            allResolved = adoptReconstructed(want.get(), have);
            have = actual.volumes(uid);
        }
        for (Mounted m : have.values()) {
            VolumeToMount v = want.map(p -> p.volumes().get(m.volumeName())).orElse(null);
            if (v != null && v.plugin().name().equals(m.pluginName())) {
                continue;
            }
            if (!containersGone || (m.reconstructed() && !allResolved)) {
                // containers may still use it; or a wanted volume not resolved yet (an unbound claim) may be this one
                later(uid, now + RECHECK_NANOS);
                continue;
            }
            unmount(m, now, want.isEmpty());
        }
        if (want.isEmpty()) {
            if (actual.volumes(uid).isEmpty()) {
                errors.clearPod(uid);
                podRefs.remove(uid);
                if (containersGone) {
                    cleanPodLeftovers(uid);
                } else if (Files.isDirectory(paths.podSubPathsDir(uid))) {
                    later(uid, now + RECHECK_NANOS); // its subPath binds go once its containers have
                }
            }
            return;
        }
        PodVolumes pod = want.get();
        for (VolumeToMount v : pod.volumes().values()) {
            Mounted m = actual.volume(uid, v.name()).orElse(null);
            if (m != null && !m.pluginName().equals(v.plugin().name())) {
                continue; // the same name, another kind of volume: the old one goes first (above), once unused
            }
            boolean refresh = m != null && (m.reconstructed()
                    || (v.plugin().requiresRemount() && m.generation() < v.generation()));
            if (m != null && !refresh) {
                continue;
            }
            if (errors.backingOff(uid, v.name(), now)) {
                later(uid, errors.failures(uid).get(v.name()).retryAtNanos());
                continue;
            }
            mount(v, m, now);
        }
    }

    /**
     * Files each reconstructed volume of the pod under the wanted volume that resolves to its directory (a claim's
     * volume dir is named after its PV, not after the pod's volume), with the wanted volume's plugin, still
     * {@link Mounted#RECONSTRUCTED} so that it is adopted through setUp. Returns false when some wanted volume could
     * not be resolved (its claim is not bound yet): it may be one of those left, which must then stay.
     */
    private boolean adoptReconstructed(PodVolumes pod, Map<String, Mounted> have) {
        Map<Path, Mounted> byDir = new HashMap<>();
        have.values().stream().filter(Mounted::reconstructed).forEach(m -> byDir.put(m.dir(), m));
        boolean allResolved = true;
        for (VolumeToMount v : pod.volumes().values()) {
            Mounted current = have.get(v.name());
            if (current != null && !current.reconstructed()) {
                continue;
            }
            Path dir;
            try {
                dir = v.plugin().resolve(v.spec()).dir();
            } catch (VolumeException | RuntimeException e) {
                allResolved = false;
                continue;
            }
            Mounted m = byDir.get(dir);
            if (m == null || (m.volumeName().equals(v.name()) && m.pluginName().equals(v.plugin().name()))) {
                continue;
            }
            actual.markUnmounted(m.podUid(), m.volumeName());
            actual.markMounted(new Mounted(m.podUid(), v.name(), v.plugin().name(), m.dir(), m.path(), m.readOnly(),
                    Mounted.RECONSTRUCTED));
            log.debug("pod {} ({}): {} on disk is its volume \"{}\"", v.spec().podRef(), m.podUid(), m.volumeName(),
                    v.name());
        }
        return allResolved;
    }

    private void mount(VolumeToMount v, Mounted before, long now) {
        String uid = v.spec().podUid();
        VolumePlugin plugin = v.plugin();
        VolumeSpec spec;
        long started = nanoTime.getAsLong();
        try {
            spec = plugin.resolve(v.spec());
            plugin.setUp(spec);
            operations.operationCompleted(plugin.name(), VolumeOperationListener.VOLUME_MOUNT, true,
                    nanoTime.getAsLong() - started);
        } catch (VolumeException | RuntimeException e) {
            operations.operationCompleted(plugin.name(), VolumeOperationListener.VOLUME_MOUNT, false,
                    nanoTime.getAsLong() - started);
            String operation = e instanceof VolumeException ve ? ve.operation().orElse("MountVolume.SetUp failed")
                    : "MountVolume.SetUp failed";
            String msg = operation + " for volume \"" + v.name() + "\" : " + message(e);
            long retryAt = errors.fail(uid, v.name(), msg, now);
            later(uid, retryAt);
            log.warn("pod {} ({}): {}", v.spec().podRef(), uid, msg);
            // a reconstructed volume stays as it is (running containers may use it; it is not torn down while
            // wanted) but does not count as set up, so no new container starts on it (upstream: "uncertain")
            actual.poke();
            return;
        }
        boolean hadFailed = errors.failures(uid).containsKey(v.name());
        errors.clear(uid, v.name());
        podRefs.put(uid, v.spec().podRef());
        if (hadFailed) {
            recovered.accept(uid);
        }
        actual.markMounted(new Mounted(uid, v.name(), plugin.name(), spec.dir(), plugin.path(spec), plugin.readOnly(spec),
                v.generation()));
        if (before == null) {
            log.info("pod {} ({}): MountVolume.SetUp succeeded for volume \"{}\" ({})", v.spec().podRef(), uid, v.name(),
                    plugin.name());
        } else if (before.reconstructed()) {
            log.info("pod {} ({}): volume \"{}\" ({}) adopted from an earlier run", v.spec().podRef(), uid, v.name(),
                    plugin.name());
        }
    }

    /** @param podGone the pod is not wanted at all: every subPath bind of it goes, whatever volume it came from */
    private void unmount(Mounted m, long now, boolean podGone) {
        String uid = m.podUid();
        String podRef = podRefs.getOrDefault(uid, "(from an earlier run)");
        Optional<VolumePlugin> plugin = plugins.byName(m.pluginName());
        long started = nanoTime.getAsLong();
        try {
            if (podGone) {
                // a volume found on disk may be named after its PV: its subPath binds are under the pod's volume
                // name, which is not known any more; they must go before the volume (they hold its device)
                subPaths.cleanAll(paths.podDir(uid));
            } else if (!m.reconstructed() || m.volumeName().indexOf('/') < 0) {
                subPaths.clean(paths.podDir(uid), m.volumeName());
            }
            if (plugin.isEmpty()) {
                throw new VolumeException("no plugin " + m.pluginName() + " to tear it down");
            }
            plugin.get().tearDown(m.dir());
            operations.operationCompleted(m.pluginName(), VolumeOperationListener.VOLUME_UNMOUNT, true,
                    nanoTime.getAsLong() - started);
        } catch (VolumeException | RuntimeException e) {
            operations.operationCompleted(m.pluginName(), VolumeOperationListener.VOLUME_UNMOUNT, false,
                    nanoTime.getAsLong() - started);
            String msg = "UnmountVolume.TearDown failed for volume \"" + m.volumeName() + "\" : " + message(e);
            long retryAt = errors.fail(uid, m.volumeName(), msg, now);
            later(uid, retryAt);
            log.warn("pod {} ({}): {}", podRef, uid, msg);
            return;
        }
        errors.clear(uid, m.volumeName());
        actual.markUnmounted(uid, m.volumeName());
        log.info("pod {} ({}): UnmountVolume.TearDown succeeded for volume \"{}\" ({})", podRef, uid, m.volumeName(),
                m.pluginName());
    }

    /** Once a gone pod has no volumes: its subPath binds and the empty volume directories (never recursively). */
    private void cleanPodLeftovers(String uid) {
        Path podDir = paths.podDir(uid);
        if (!Files.isDirectory(podDir)) {
            return;
        }
        try {
            subPaths.cleanAll(podDir);
        } catch (VolumeException e) {
            log.warn("pod uid {}: cannot clean its subPath mounts: {}", uid, e.getMessage());
            return;
        }
        removePluginDirs(uid, paths.podVolumesDir(uid));
        removePluginDirs(uid, paths.podVolumeDevicesDir(uid));
    }

    /** {@code volumes} or {@code volumeDevices} of a gone pod: its empty plugin dirs, then itself when empty. */
    private static void removePluginDirs(String uid, Path base) {
        try (var pluginDirs = Files.list(base)) {
            for (Path d : (Iterable<Path>) pluginDirs::iterator) {
                removeEmptyDir(d);
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            log.warn("pod uid {}: cannot list {}: {}", uid, base, e.toString());
        }
        removeEmptyDir(base);
    }

    private static void removeEmptyDir(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException e) {
            log.warn("keeping {}: not empty (a volume no plugin knows?)", dir);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir, e.toString());
        }
    }

    private void later(String uid, long atNanos) {
        due.merge(uid, atNanos, (a, b) -> a - b <= 0 ? a : b);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
