package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;

/**
 * {@code projected} (upstream pkg/volume/projected): configMap, secret and downwardAPI sources in one directory, on a
 * tmpfs (it may hold secrets), written atomically.
 */
public final class ProjectedPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/projected";

    private final VolumeDirs dirs;
    private final VolumeObjects objects;
    private final NodeResources node;

    public ProjectedPlugin(VolumeDirs dirs, VolumeObjects objects, NodeResources node) {
        this.dirs = dirs;
        this.objects = objects;
        this.node = node;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getProjected() != null;
    }

    @Override
    public boolean requiresRemount() {
        return true;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        var payload = ProjectedPayload.forVolume(spec.volume().getProjected(), spec.pod(), objects, node);
        dirs.ensureTmpfs(spec.dir(), EmptyDirPlugin.tmpfsSize(spec.pod(), new EmptyDirVolumeSource()), EmptyDirPlugin.TMPFS_MODE);
        PayloadWriter.write(spec, payload, "projected");
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
