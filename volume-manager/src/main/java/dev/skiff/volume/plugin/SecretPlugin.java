package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;

/**
 * {@code secret} (upstream pkg/volume/secret): the Secret's keys as files on a tmpfs of the pod's own, so secret
 * bytes never touch a disk; written atomically like configMap.
 */
public final class SecretPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/secret";

    private final VolumeDirs dirs;
    private final VolumeObjects objects;

    public SecretPlugin(VolumeDirs dirs, VolumeObjects objects) {
        this.dirs = dirs;
        this.objects = objects;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getSecret() != null;
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
        SecretVolumeSource source = spec.volume().getSecret();
        var payload = SecretPayload.forVolume(source, spec.namespace(), objects);
        // upstream wraps an emptyDir with medium Memory: sized like one, root mode as tmpfs leaves it
        dirs.ensureTmpfs(spec.dir(), EmptyDirPlugin.tmpfsSize(spec.pod(), new EmptyDirVolumeSource()), EmptyDirPlugin.TMPFS_MODE);
        PayloadWriter.write(spec, payload, "secret " + spec.namespace() + "/" + source.getSecretName());
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
