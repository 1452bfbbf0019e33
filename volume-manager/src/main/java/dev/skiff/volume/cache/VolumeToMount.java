package dev.skiff.volume.cache;

import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumeSpec;

/**
 * One volume the desired state wants set up.
 *
 * @param spec       the pod, its volume entry and the volume's directory
 * @param plugin     the plugin that sets it up
 * @param generation bumped whenever the volume's content must be refreshed (pod or objects changed, pod synced):
 *                   a remountable volume set up at an older generation is set up again
 */
public record VolumeToMount(VolumeSpec spec, VolumePlugin plugin, long generation) {
    public String name() {
        return spec.name();
    }
}
