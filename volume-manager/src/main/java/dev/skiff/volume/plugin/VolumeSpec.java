package dev.skiff.volume.plugin;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One volume of one pod, as a plugin sets it up.
 *
 * @param pod    the pod (read-only: shared with the kubelet)
 * @param volume the pod's volume entry
 * @param dir    the volume's directory, {@code <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>}
 */
public record VolumeSpec(Pod pod, Volume volume, Path dir) {
    public VolumeSpec {
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(dir, "dir");
    }

    /** The same volume at another directory (see {@link VolumePlugin#resolve}). */
    public VolumeSpec withDir(Path other) {
        return new VolumeSpec(pod, volume, other);
    }

    public String podUid() {
        return pod.getMetadata().getUid();
    }

    public String namespace() {
        return pod.getMetadata().getNamespace();
    }

    public String name() {
        return volume.getName();
    }

    /** {@code namespace/name} of the pod, for logs. */
    public String podRef() {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }
}
