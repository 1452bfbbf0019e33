package dev.skiff.volume;

import java.nio.file.Path;

/**
 * A volume of a pod that is set up, as containers bind it.
 *
 * @param name     the pod's name for the volume
 * @param path     where containers' bind mounts come from (a hostPath volume: the host's path)
 * @param readOnly true when the plugin makes the volume read-only for every container (configMap, secret, …)
 * @param block    true when {@code path} is a block device (a {@code volumeMode: Block} claim), for volumeDevices
 */
public record MountedVolume(String name, Path path, boolean readOnly, boolean block) {
    /** A filesystem volume. */
    public MountedVolume(String name, Path path, boolean readOnly) {
        this(name, path, readOnly, false);
    }
}
