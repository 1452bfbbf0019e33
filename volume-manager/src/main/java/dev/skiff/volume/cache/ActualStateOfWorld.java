package dev.skiff.volume.cache;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What is set up (upstream cache.ActualStateOfWorld): per pod uid, its volumes and the generation each was set up
 * at. Written by the reconciler (and reconstruction at start); read by the kubelet, which can wait for a change.
 */
public final class ActualStateOfWorld {
    /**
     * One set-up volume.
     *
     * @param pluginName    the plugin that set it up (its tearDown undoes it)
     * @param dir           the volume's directory under the pod (what tearDown gets)
     * @param path          where containers bind it from
     * @param readOnly      the plugin's read-only-for-containers flag
     * @param generation    the desired generation it was set up at; {@link #RECONSTRUCTED} when rebuilt from disk
     */
    public record Mounted(String podUid, String volumeName, String pluginName, Path dir, Path path, boolean readOnly,
                          long generation) {
        public static final long RECONSTRUCTED = -1;

        public boolean reconstructed() {
            return generation == RECONSTRUCTED;
        }
    }

    private final Map<String, Map<String, Mounted>> pods = new HashMap<>();
    private long version;

    public synchronized void markMounted(Mounted m) {
        pods.computeIfAbsent(m.podUid(), k -> new HashMap<>()).put(m.volumeName(), m);
        changed();
    }

    public synchronized void markUnmounted(String podUid, String volumeName) {
        Map<String, Mounted> vols = pods.get(podUid);
        if (vols != null && vols.remove(volumeName) != null) {
            if (vols.isEmpty()) {
                pods.remove(podUid);
            }
            changed();
        }
    }

    public synchronized Map<String, Mounted> volumes(String podUid) {
        Map<String, Mounted> vols = pods.get(podUid);
        return vols == null ? Map.of() : Map.copyOf(vols);
    }

    public synchronized Optional<Mounted> volume(String podUid, String volumeName) {
        Map<String, Mounted> vols = pods.get(podUid);
        return Optional.ofNullable(vols == null ? null : vols.get(volumeName));
    }

    public synchronized Set<String> podUids() {
        return Set.copyOf(pods.keySet());
    }

    public synchronized int size() {
        return pods.values().stream().mapToInt(Map::size).sum();
    }

    /** A counter bumped on every change: pass it to {@link #awaitChange} to wait for the next one. */
    public synchronized long version() {
        return version;
    }

    /** Waits until the version differs from {@code seen} or the timeout passes; returns the version then. */
    public synchronized long awaitChange(long seen, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (version == seen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return version;
    }

    /** Wakes waiters without a change (e.g. a mount attempt failed: waiters re-read the errors). */
    public synchronized void poke() {
        changed();
    }

    private void changed() {
        version++;
        notifyAll();
    }
}
