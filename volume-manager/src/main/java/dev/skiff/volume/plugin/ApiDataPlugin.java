package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What configMap, secret, downwardAPI and projected volumes share (upstream wraps each in an emptyDir): files built
 * from their source, written atomically into a directory on disk or a tmpfs of the pod's own, read-only to
 * containers, and rewritten whenever the source may have changed.
 */
abstract class ApiDataPlugin implements VolumePlugin {
    /** As upstream's wrapped disk emptyDir leaves it. */
    static final int DIR_MODE = 0777;

    final VolumeDirs dirs;
    private final String name;
    private final boolean onTmpfs;

    ApiDataPlugin(String name, boolean onTmpfs, VolumeDirs dirs) {
        this.name = name;
        this.onTmpfs = onTmpfs;
        this.dirs = dirs;
    }

    /** The volume's files (relative path → bytes and mode). */
    abstract Map<String, FileProjection> payload(VolumeSpec spec) throws VolumeException;

    /** What the files come from, for the log and errors, e.g. {@code configmap ns/x}. */
    abstract String source(VolumeSpec spec);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean requiresRemount() {
        return true;
    }

    @Override
    public final boolean readOnly() {
        return true;
    }

    /** The payload first, so a missing source leaves nothing made; then the directory or tmpfs, then the files. */
    @Override
    public final void setUp(VolumeSpec spec) throws VolumeException {
        Map<String, FileProjection> payload = payload(spec);
        if (onTmpfs) {
            // an emptyDir with medium Memory upstream: sized like one, its root mode as tmpfs leaves it
            dirs.ensureTmpfs(spec.dir(), EmptyDirPlugin.tmpfsSize(spec.pod(), new EmptyDirVolumeSource()),
                    EmptyDirPlugin.TMPFS_MODE);
        } else {
            try {
                VolumeDirs.ensureDir(spec.dir(), DIR_MODE);
            } catch (IOException e) {
                throw new VolumeException("cannot create the volume directory: " + e.getMessage(), e);
            }
        }
        PayloadWriter.write(spec, payload, source(spec));
    }

    @Override
    public final void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }
}
