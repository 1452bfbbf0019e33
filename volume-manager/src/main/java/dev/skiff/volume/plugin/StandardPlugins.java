package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeObjects;

import java.util.List;

/** The plugins a kubelet runs with. */
public final class StandardPlugins {
    private StandardPlugins() {
    }

    public static List<VolumePlugin> create(VolumeDirs dirs, VolumeObjects objects, NodeResources node) {
        return List.of(
                new EmptyDirPlugin(dirs, node),
                new HostPathPlugin(),
                new ConfigMapPlugin(dirs, objects),
                new SecretPlugin(dirs, objects),
                new DownwardApiPlugin(dirs, node),
                new ProjectedPlugin(dirs, objects, node));
    }
}
