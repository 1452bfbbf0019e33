package dev.skiff.volume.testing;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumeSpec;
import io.fabric8.kubernetes.api.model.Volume;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Serves emptyDir volumes in memory: records its calls, and fails a volume on demand. */
public final class FakePlugin implements VolumePlugin {
    public final List<String> setUps = new CopyOnWriteArrayList<>();
    public final List<Path> tearDowns = new CopyOnWriteArrayList<>();
    public final Map<String, String> failing = new ConcurrentHashMap<>();
    /** volume name → the dir name {@link #resolve} gives it (as a claim's dir is named after its PV). */
    public final Map<String, String> dirNames = new ConcurrentHashMap<>();
    /** volume name → why {@link #resolve} fails (an unbound claim). */
    public final Map<String, String> unresolved = new ConcurrentHashMap<>();
    private final String name;
    private final boolean remount;

    public FakePlugin(String name, boolean remount) {
        this.name = name;
        this.remount = remount;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return remount ? volume.getConfigMap() != null : volume.getEmptyDir() != null;
    }

    @Override
    public boolean requiresRemount() {
        return remount;
    }

    @Override
    public VolumeSpec resolve(VolumeSpec spec) throws VolumeException {
        String why = unresolved.get(spec.name());
        if (why != null) {
            throw new VolumeException(why);
        }
        String dirName = dirNames.get(spec.name());
        return dirName == null ? spec : spec.withDir(spec.dir().resolveSibling(dirName));
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        setUps.add(spec.podUid() + "/" + spec.name());
        String why = failing.get(spec.name());
        if (why != null) {
            throw new VolumeException(why);
        }
    }

    @Override
    public void tearDown(Path dir) {
        tearDowns.add(dir);
    }
}
