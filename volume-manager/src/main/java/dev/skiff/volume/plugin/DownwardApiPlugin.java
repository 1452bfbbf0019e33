package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;

/**
 * {@code downwardAPI} (upstream pkg/volume/downwardapi): the pod's metadata and its containers' resources as files on
 * a tmpfs, rewritten atomically when the pod's labels or annotations change.
 */
public final class DownwardApiPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/downward-api";

    private final VolumeDirs dirs;
    private final NodeResources node;

    public DownwardApiPlugin(VolumeDirs dirs, NodeResources node) {
        this.dirs = dirs;
        this.node = node;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getDownwardAPI() != null;
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
        var payload = DownwardApiPayload.forVolume(spec.volume().getDownwardAPI(), spec.pod(), node);
        // a tmpfs, as upstream's wrapped memory-backed emptyDir
        dirs.ensureTmpfs(spec.dir(), EmptyDirPlugin.tmpfsSize(spec.pod(), new EmptyDirVolumeSource()), EmptyDirPlugin.TMPFS_MODE);
        PayloadWriter.write(spec, payload, "downwardAPI");
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
