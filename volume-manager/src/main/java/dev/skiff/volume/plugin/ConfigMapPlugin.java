package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.Map;

/**
 * {@code configMap} (upstream pkg/volume/configmap): the ConfigMap's keys as files in a directory on disk, written
 * atomically so an edit of the ConfigMap reaches running pods all at once.
 */
public final class ConfigMapPlugin extends ApiDataPlugin {
    public static final String NAME = "kubernetes.io/configmap";

    private final VolumeObjects objects;

    public ConfigMapPlugin(VolumeDirs dirs, VolumeObjects objects) {
        super(NAME, false, dirs);
        this.objects = objects;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getConfigMap() != null;
    }

    @Override
    Map<String, FileProjection> payload(VolumeSpec spec) throws VolumeException {
        return ConfigMapPayload.forVolume(spec.volume().getConfigMap(), spec.namespace(), objects);
    }

    @Override
    String source(VolumeSpec spec) {
        return "configmap " + spec.namespace() + "/" + spec.volume().getConfigMap().getName();
    }
}
