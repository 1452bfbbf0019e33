package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.NFSVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;
import java.util.List;

/** {@code nfs} volumes (upstream pkg/volume/nfs): the export mounted straight into the pod's volume directory. */
public final class NfsPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/nfs";

    private final VolumeDirs dirs;

    public NfsPlugin(VolumeDirs dirs) {
        this.dirs = dirs;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getNfs() != null;
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        NFSVolumeSource nfs = spec.volume().getNfs();
        NfsMount.mount(dirs.mounter(), nfs.getServer(), nfs.getPath(), spec.dir(), List.of(),
                Boolean.TRUE.equals(nfs.getReadOnly()));
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
