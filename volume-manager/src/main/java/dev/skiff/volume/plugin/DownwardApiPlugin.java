package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.Map;

/**
 * {@code downwardAPI} (upstream pkg/volume/downwardapi): the pod's metadata and its containers' resources as files on
 * a tmpfs, rewritten atomically when the pod's labels or annotations change.
 */
public final class DownwardApiPlugin extends ApiDataPlugin {
    public static final String NAME = "kubernetes.io/downward-api";

    private final NodeResources node;

    public DownwardApiPlugin(VolumeDirs dirs, NodeResources node) {
        super(NAME, true, dirs);
        this.node = node;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getDownwardAPI() != null;
    }

    @Override
    Map<String, FileProjection> payload(VolumeSpec spec) throws VolumeException {
        return DownwardApiPayload.forVolume(spec.volume().getDownwardAPI(), spec.pod(), node);
    }

    @Override
    String source(VolumeSpec spec) {
        return "downwardAPI";
    }
}
