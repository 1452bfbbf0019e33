package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.Map;

/**
 * {@code projected} (upstream pkg/volume/projected): configMap, secret and downwardAPI sources in one directory, on a
 * tmpfs (it may hold secrets), written atomically.
 */
public final class ProjectedPlugin extends ApiDataPlugin {
    public static final String NAME = "kubernetes.io/projected";

    private final VolumeObjects objects;
    private final NodeResources node;

    public ProjectedPlugin(VolumeDirs dirs, VolumeObjects objects, NodeResources node) {
        super(NAME, true, dirs);
        this.objects = objects;
        this.node = node;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getProjected() != null;
    }

    @Override
    Map<String, FileProjection> payload(VolumeSpec spec) throws VolumeException {
        return ProjectedPayload.forVolume(spec.volume().getProjected(), spec.pod(), objects, node);
    }

    @Override
    String source(VolumeSpec spec) {
        return "projected";
    }
}
