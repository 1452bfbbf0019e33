package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code configMap} (upstream pkg/volume/configmap): the ConfigMap's keys as files in a directory on disk, written
 * atomically so an edit of the ConfigMap reaches running pods all at once.
 */
public final class ConfigMapPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/configmap";
    /** As upstream's wrapped emptyDir leaves it. */
    static final int DIR_MODE = 0777;

    private final VolumeDirs dirs;
    private final VolumeObjects objects;

    public ConfigMapPlugin(VolumeDirs dirs, VolumeObjects objects) {
        this.dirs = dirs;
        this.objects = objects;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getConfigMap() != null;
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
        ConfigMapVolumeSource source = spec.volume().getConfigMap();
        var payload = ConfigMapPayload.forVolume(source, spec.namespace(), objects);
        try {
            VolumeDirs.ensureDir(spec.dir(), DIR_MODE);
        } catch (IOException e) {
            throw new VolumeException("cannot create the configMap volume directory: " + e.getMessage(), e);
        }
        PayloadWriter.write(spec, payload, "configmap " + spec.namespace() + "/" + source.getName());
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
