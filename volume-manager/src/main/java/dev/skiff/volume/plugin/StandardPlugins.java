package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.block.Blkid;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.block.Mkfs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The plugins a kubelet runs with. */
public final class StandardPlugins {
    private StandardPlugins() {
    }

    /** Every plugin but persistentVolumeClaim's (for a kubelet without persistent volumes, and tests). */
    public static List<VolumePlugin> create(VolumeDirs dirs, VolumeObjects objects, NodeResources node) {
        return List.of(
                new EmptyDirPlugin(dirs, node),
                new HostPathPlugin(),
                new ConfigMapPlugin(dirs, objects),
                new SecretPlugin(dirs, objects),
                new DownwardApiPlugin(dirs, node),
                new ProjectedPlugin(dirs, objects, node),
                new NfsPlugin(dirs));
    }

    /** Every plugin, persistentVolumeClaim volumes included (their global mounts under {@code rootDir/plugins}). */
    public static List<VolumePlugin> create(VolumeDirs dirs, VolumeObjects objects, NodeResources node, ClaimVolumes claims,
                                            Path rootDir) {
        List<VolumePlugin> all = new ArrayList<>(create(dirs, objects, node));
        all.add(new PersistentClaimPlugin(dirs, claims, new LoopDevices(), new Blkid(), new Mkfs(), rootDir));
        return List.copyOf(all);
    }
}
