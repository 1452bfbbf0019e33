package dev.skiff.volume.cache;

import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumePluginManager;
import dev.skiff.volume.plugin.VolumeSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The volumes the pods want (upstream cache.DesiredStateOfWorld): per pod uid, its volumes with their plugin, and
 * the volumes no plugin serves. Every change marks the pod dirty, so the reconciler looks only at what changed.
 * Thread-safe.
 */
public final class DesiredStateOfWorld {
    /**
     * One pod's wanted volumes.
     *
     * @param unsupported volume name → why it cannot be set up at all (no plugin serves it)
     */
    public record PodVolumes(Pod pod, Map<String, VolumeToMount> volumes, Map<String, String> unsupported) {
        public PodVolumes {
            volumes = Map.copyOf(volumes);
            unsupported = Map.copyOf(unsupported);
        }
    }

    private final VolumePluginManager plugins;
    private final VolumePaths paths;
    private final Map<String, PodVolumes> pods = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private long generation;

    public DesiredStateOfWorld(VolumePluginManager plugins, VolumePaths paths) {
        this.plugins = plugins;
        this.paths = paths;
    }

    /**
     * Adds or updates the pod. The same pod object again changes nothing; a changed pod replaces its volumes and
     * its remountable ones are refreshed. Returns true when anything changed.
     */
    public synchronized boolean addPod(Pod pod) {
        String uid = pod.getMetadata().getUid();
        PodVolumes old = pods.get(uid);
        // identity, not equals: the kubelet hands out one Pod object per version of a pod (a new object is a new
        // version), and comparing whole pods every rescan would cost more than it saves
        if (old != null && old.pod() == pod) {
            return false;
        }
        long gen = ++generation;
        Map<String, VolumeToMount> volumes = new LinkedHashMap<>();
        Map<String, String> unsupported = new LinkedHashMap<>();
        List<Volume> specs = pod.getSpec() == null || pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
        for (Volume v : specs) {
            Optional<VolumePlugin> plugin;
            try {
                plugin = plugins.find(v);
            } catch (IllegalStateException e) {
                unsupported.put(v.getName(), e.getMessage());
                continue;
            }
            if (plugin.isEmpty()) {
                unsupported.put(v.getName(), "volume \"" + v.getName() + "\": " + UnsupportedVolumes.describe(v));
                continue;
            }
            VolumeSpec spec = new VolumeSpec(pod, v, paths.volumeDir(uid, plugin.get().name(), v.getName()));
            volumes.put(v.getName(), new VolumeToMount(spec, plugin.get(), gen));
        }
        pods.put(uid, new PodVolumes(pod, volumes, unsupported));
        dirty.add(uid);
        return true;
    }

    /** Asks for the pod's remountable volumes to be set up again (their sources may have changed). */
    public synchronized void markRemount(String uid) {
        PodVolumes p = pods.get(uid);
        if (p == null) {
            return;
        }
        boolean any = false;
        long gen = ++generation;
        Map<String, VolumeToMount> next = new LinkedHashMap<>();
        for (VolumeToMount v : p.volumes().values()) {
            if (v.plugin().requiresRemount()) {
                any = true;
                next.put(v.name(), new VolumeToMount(v.spec(), v.plugin(), gen));
            } else {
                next.put(v.name(), v);
            }
        }
        if (any) {
            pods.put(uid, new PodVolumes(p.pod(), next, p.unsupported()));
            dirty.add(uid);
        }
    }

    /** Marks the pod dirty, so the reconciler looks at it in its next pass (e.g. to retry a failed volume). */
    public synchronized void touch(String uid) {
        if (pods.containsKey(uid)) {
            dirty.add(uid);
        }
    }

    /** {@link #markRemount} for every pod with a remountable volume. */
    public synchronized void markRemountAll() {
        for (String uid : new ArrayList<>(pods.keySet())) {
            markRemount(uid);
        }
    }

    public synchronized boolean removePod(String uid) {
        if (pods.remove(uid) == null) {
            return false;
        }
        dirty.add(uid);
        return true;
    }

    public synchronized Optional<PodVolumes> pod(String uid) {
        return Optional.ofNullable(pods.get(uid));
    }

    public synchronized Set<String> podUids() {
        return Set.copyOf(pods.keySet());
    }

    /** The uids changed since the last call, in the order they changed. */
    public synchronized Set<String> drainDirty() {
        Set<String> out = new LinkedHashSet<>(dirty);
        dirty.clear();
        return out;
    }
}
