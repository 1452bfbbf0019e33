package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.Map;

/**
 * {@code secret} (upstream pkg/volume/secret): the Secret's keys as files on a tmpfs of the pod's own, so secret
 * bytes never touch a disk; written atomically like configMap.
 */
public final class SecretPlugin extends ApiDataPlugin {
    public static final String NAME = "kubernetes.io/secret";

    private final VolumeObjects objects;

    public SecretPlugin(VolumeDirs dirs, VolumeObjects objects) {
        super(NAME, true, dirs);
        this.objects = objects;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getSecret() != null;
    }

    @Override
    Map<String, FileProjection> payload(VolumeSpec spec) throws VolumeException {
        return SecretPayload.forVolume(spec.volume().getSecret(), spec.namespace(), objects);
    }

    @Override
    String source(VolumeSpec spec) {
        return "secret " + spec.namespace() + "/" + spec.volume().getSecret().getSecretName();
    }
}
