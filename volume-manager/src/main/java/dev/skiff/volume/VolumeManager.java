package dev.skiff.volume;

import dev.skiff.volume.cache.ActualStateOfWorld;
import dev.skiff.volume.cache.ActualStateOfWorld.Mounted;
import dev.skiff.volume.cache.DesiredStateOfWorld;
import dev.skiff.volume.cache.DesiredStateOfWorld.PodVolumes;
import dev.skiff.volume.cache.VolumeErrors;
import dev.skiff.volume.mount.Mounter;
import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumePluginManager;
import dev.skiff.volume.populator.DesiredStateOfWorldPopulator;
import dev.skiff.volume.reconciler.Reconciler;
import dev.skiff.volume.reconciler.Reconstruction;
import dev.skiff.volume.subpath.SafeSubPath;
import dev.skiff.volume.subpath.SubPathException;
import dev.skiff.volume.subpath.SubPathRequest;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The kubelet's volume manager (upstream pkg/kubelet/volumemanager): a populator thread fills the desired state of
 * world from the pods, a reconciler thread makes the actual state match it, and pod workers wait here until a pod's
 * volumes are set up before its containers start, and until they are torn down before its directory goes.
 */
public final class VolumeManager implements AutoCloseable {
    /** Upstream podAttachAndMountTimeout. */
    public static final Duration WAIT_FOR_ATTACH_AND_MOUNT = Duration.ofSeconds(123);
    static final long TICK_MILLIS = 100;
    /** The populator rescans the pods this often even when nobody says they changed. */
    static final long POPULATOR_RESCAN_NANOS = 1_000_000_000L;
    /** A failed volume whose next attempt is further away than this is reported as failed rather than waited for. */
    static final long RETRY_SOON_NANOS = 1_000_000_000L;

    private static final Logger log = LoggerFactory.getLogger(VolumeManager.class);

    private final VolumePaths paths;
    private final DesiredStateOfWorld desired;
    private final ActualStateOfWorld actual = new ActualStateOfWorld();
    private final VolumeErrors errors = new VolumeErrors();
    private final DesiredStateOfWorldPopulator populator;
    private final Reconciler reconciler;
    private final Reconstruction reconstruction;
    private final SafeSubPath subPaths;
    private final Mounter mounter;
    private final Ticker populatorThread;
    private final Ticker reconcilerThread;

    public VolumeManager(VolumePaths paths, PodStateProvider podState, Mounter mounter, List<VolumePlugin> plugins) {
        this.paths = paths;
        this.mounter = mounter;
        VolumePluginManager pluginManager = new VolumePluginManager(plugins);
        this.desired = new DesiredStateOfWorld(pluginManager, paths);
        this.populator = new DesiredStateOfWorldPopulator(podState, desired);
        this.subPaths = new SafeSubPath(mounter);
        this.reconciler = new Reconciler(desired, actual, pluginManager, subPaths, podState, paths, errors, System::nanoTime);
        this.reconstruction = new Reconstruction(paths, pluginManager);
        this.populatorThread = new Ticker("volume-populator", this::populateTick);
        this.reconcilerThread = new Ticker("volume-reconciler", this::reconcileTick);
    }

    /**
     * Makes the root dir a shared mount (so Bidirectional mount propagation works, as upstream does), rebuilds the
     * actual state from disk, and starts the two threads.
     */
    public void start() {
        try {
            mounter.makeRShared(paths.rootDir());
        } catch (Exception e) {
            log.warn("cannot make {} a shared mount (Bidirectional mount propagation will fail): {}", paths.rootDir(),
                    e.getMessage());
        }
        reconciler.lookAtAll(reconstruction.reconstruct(actual));
        populatorThread.start();
        reconcilerThread.start();
        log.info("volume manager started: root dir {}", paths.rootDir());
    }

    private long lastPopulate = System.nanoTime() - POPULATOR_RESCAN_NANOS;

    private void populateTick(boolean woken) {
        long now = System.nanoTime();
        if (!woken && now - lastPopulate < POPULATOR_RESCAN_NANOS) {
            return;
        }
        lastPopulate = now;
        if (populator.populate()) {
            reconcilerThread.wake();
        }
    }

    private void reconcileTick(boolean woken) {
        reconciler.reconcile();
    }

    /** Tells {@code listener} of every volume mount and unmount (plugin, outcome, duration). Set it before {@link #start}. */
    public void onVolumeOperation(VolumeOperationListener listener) {
        reconciler.onOperation(listener);
    }

    /**
     * Tells {@code listener} the pod uid when one of its volumes that had failed is set up at last, so a pod waiting
     * out its error back-off can be synced now. Set it before {@link #start}.
     */
    public void onVolumeRecovered(java.util.function.Consumer<String> listener) {
        reconciler.onRecovered(listener);
    }

    /** The pods changed (added, updated, removed, terminated): the populator looks now rather than at its next rescan. */
    public void podsChanged() {
        populatorThread.wake();
    }

    /** ConfigMaps or Secrets changed: every remountable volume is refreshed, and failed ones retried, now. */
    public void objectsChanged() {
        desired.markRemountAll();
        for (String uid : desired.podUids()) {
            errors.resetBackoff(uid);
        }
        reconcilerThread.wake();
    }

    /**
     * Blocks until every volume of the pod is set up (upstream WaitForAttachAndMount), and returns them by name.
     * Refreshes the content of its remountable volumes, as the pod is being synced; a changed pod retries its failed
     * volumes at once, else they keep their back-off. Gives up early — so a pod worker is not parked for minutes on
     * a volume that cannot be set up — once every volume still missing has failed during this wait or waits out a
     * back-off, with their errors; else after {@code timeout}, or when {@code cancelled} says so.
     */
    public Map<String, MountedVolume> waitForAttachAndMount(Pod pod, Duration timeout, BooleanSupplier cancelled)
            throws VolumeException, InterruptedException {
        String uid = pod.getMetadata().getUid();
        long start = System.nanoTime();
        if (populator.addPod(pod)) {
            errors.resetBackoff(uid);
        }
        desired.markRemount(uid);
        desired.touch(uid);
        reconcilerThread.wake();
        PodVolumes want = desired.pod(uid).orElseThrow(() -> new VolumeException("pod is terminating: no volumes are set up for it"));
        if (!want.unsupported().isEmpty()) {
            throw new VolumeException(String.join("; ", want.unsupported().values()));
        }
        long deadline = start + timeout.toNanos();
        long seen = actual.version();
        while (true) {
            Map<String, Mounted> have = actual.volumes(uid);
            List<String> missing = new ArrayList<>();
            want.volumes().forEach((name, v) -> {
                Mounted m = have.get(name);
                if (m == null || m.reconstructed() || !m.pluginName().equals(v.plugin().name())) {
                    missing.add(name);
                }
            });
            if (missing.isEmpty()) {
                return mountedVolumes(uid);
            }
            long now = System.nanoTime();
            Map<String, VolumeErrors.Failure> failures = errors.failures(uid);
            List<String> failed = new ArrayList<>();
            for (String name : missing) {
                VolumeErrors.Failure f = failures.get(name);
                if (f != null && (f.atNanos() - start >= 0 || f.retryAtNanos() - now > RETRY_SOON_NANOS)) {
                    failed.add(f.message());
                }
            }
            if (failed.size() == missing.size()) {
                throw new VolumeException(String.join("; ", failed));
            }
            long left = deadline - now;
            if (left <= 0) {
                // upstream's words, lists as Go prints them
                throw new VolumeException("unmounted volumes=[" + String.join(" ", missing) + "], unattached volumes=[],"
                        + " failed to process volumes=[]: timed out waiting for the condition"
                        + (failed.isEmpty() ? "" : ": " + String.join("; ", failed)));
            }
            if (cancelled.getAsBoolean()) {
                throw new VolumeException("gave up waiting for volumes " + missing + ": the pod is being terminated");
            }
            seen = actual.awaitChange(seen, Math.min(left, TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS)), TimeUnit.NANOSECONDS);
        }
    }

    /** The pod's volumes that are set up, by name (upstream GetMountedVolumesForPod). */
    public Map<String, MountedVolume> mountedVolumes(String uid) {
        Map<String, MountedVolume> out = new LinkedHashMap<>();
        actual.volumes(uid).forEach((name, m) -> {
            if (!m.reconstructed()) {
                out.put(name, new MountedVolume(name, m.path(), m.readOnly(), isBlockDevice(m.path())));
            }
        });
        return out;
    }

    /**
     * Blocks until none of the pod's volumes is set up any more and none is wanted (upstream WaitForUnmount), so
     * nothing sets one up again in a directory being removed.
     */
    public void waitForUnmount(String uid, Duration timeout) throws VolumeException, InterruptedException {
        populatorThread.wake();
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen = actual.version();
        while (true) {
            Map<String, Mounted> have = actual.volumes(uid);
            if (have.isEmpty() && desired.pod(uid).isEmpty()) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                List<String> msgs = new ArrayList<>(errors.failures(uid).values().stream().map(VolumeErrors.Failure::message).toList());
                throw new VolumeException("volumes " + have.keySet() + " are still mounted"
                        + (msgs.isEmpty() ? "" : ": " + String.join("; ", msgs)));
            }
            seen = actual.awaitChange(seen, Math.min(left, TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS)), TimeUnit.NANOSECONDS);
        }
    }

    /** True for a block device node (a Block volume's path). */
    private static boolean isBlockDevice(java.nio.file.Path p) {
        try {
            return dev.skiff.volume.block.BlockDevices.isBlockDevice(p);
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** True while the pod has volumes wanted or set up, or subPath binds: its directory must stay. */
    public boolean podHasVolumes(String uid) {
        return desired.pod(uid).map(p -> !p.volumes().isEmpty()).orElse(false) || !actual.volumes(uid).isEmpty()
                || java.nio.file.Files.isDirectory(paths.podSubPathsDir(uid));
    }

    /** The pod's volume errors by volume name (the latest failure of each), for its status. */
    public Map<String, String> errors(String uid) {
        Map<String, String> out = new LinkedHashMap<>();
        errors.failures(uid).forEach((name, f) -> out.put(name, f.message()));
        return out;
    }

    /** Binds a volumeMount's subPath safely for one container (see {@link SafeSubPath#prepare}). */
    public java.nio.file.Path prepareSubPath(SubPathRequest request) throws SubPathException {
        return subPaths.prepare(request);
    }

    public VolumePaths paths() {
        return paths;
    }

    /** Stops the threads; mounts stay (the pods keep running). */
    @Override
    public void close() {
        populatorThread.close();
        reconcilerThread.close();
    }
}
