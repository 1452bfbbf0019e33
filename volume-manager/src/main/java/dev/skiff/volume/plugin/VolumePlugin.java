package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;

/**
 * One kind of volume (upstream volume.VolumePlugin with its Mounter and Unmounter folded in). Plugins hold no
 * per-volume state: everything they need is in the {@link VolumeSpec} or on disk, so a restarted kubelet can tear
 * down what an earlier one set up.
 */
public interface VolumePlugin {
    /** Upstream's plugin name, e.g. {@code kubernetes.io/empty-dir}; on disk it reads {@code kubernetes.io~empty-dir}. */
    String name();

    /** True when this plugin serves the volume (exactly one plugin does). */
    boolean canSupport(Volume volume);

    /**
     * True when setUp must run again when the volume's sources change (configMap, secret, downwardAPI, projected):
     * the reconciler calls it again, and it rewrites what changed, atomically.
     */
    default boolean requiresRemount() {
        return false;
    }

    /** True when containers get the volume read-only whatever their volumeMount says (the API data volumes). */
    default boolean readOnly() {
        return false;
    }

    /**
     * The volume as it is set up for this pod: {@code spec} itself, or with another directory when the plugin names it
     * after something else than the pod's volume name (a claim's volume: after its PV, as upstream's volume.Spec.Name()
     * is the PV's name). The reconciler calls it before {@link #setUp}, {@link #path} and {@link #readOnly(VolumeSpec)};
     * a volume that cannot be resolved yet (an unbound claim) throws with the reason.
     */
    default VolumeSpec resolve(VolumeSpec spec) throws VolumeException {
        return spec;
    }

    /** {@link #readOnly()}, or read-only for this one volume (a read-only claim of a hostPath PV). */
    default boolean readOnly(VolumeSpec spec) {
        return readOnly();
    }

    /** Where containers' bind mounts come from: {@code spec.dir()}, or elsewhere (hostPath: the host's path). */
    default Path path(VolumeSpec spec) {
        return spec.dir();
    }

    /**
     * Makes the volume real. Idempotent: a mount that is already there is kept (never mounted twice), content that
     * has not changed is not rewritten. Throws with a message that says what is wrong with the volume.
     */
    void setUp(VolumeSpec spec) throws VolumeException;

    /**
     * Undoes setUp: unmounts {@code dir} when it is a mount point, then removes it. Works from the directory alone
     * (after a restart the spec may be gone). Never deletes anything below a mount point.
     */
    void tearDown(Path dir) throws VolumeException;
}
