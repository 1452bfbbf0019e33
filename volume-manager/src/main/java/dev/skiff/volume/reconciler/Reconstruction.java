package dev.skiff.volume.reconciler;

import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.cache.ActualStateOfWorld;
import dev.skiff.volume.cache.ActualStateOfWorld.Mounted;
import dev.skiff.volume.plugin.VolumePlugin;
import dev.skiff.volume.plugin.VolumePluginManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Rebuilds the actual state of world from the pod directories after a restart (upstream reconstruct.go): every
 * {@code pods/<uid>/volumes/kubernetes.io~<plugin>/<name>} directory and every
 * {@code pods/<uid>/volumeDevices/kubernetes.io~<plugin>/<name>} device link a known plugin owns is taken as set up,
 * at the {@link Mounted#RECONSTRUCTED} generation. The on-disk name need not be the pod's volume name (a claim's
 * volume is named after its PV), so each is recorded under its path below the pod dir, e.g.
 * {@code volumes/kubernetes.io~local-volume/pv-1}; the reconciler matches it to the pod's volume that resolves to the
 * same directory and adopts it (its setUp keeps a mount that is there, so nothing is remounted), or tears it down
 * when no volume of a pod that is gone claims it.
 */
public final class Reconstruction {
    private static final Logger log = LoggerFactory.getLogger(Reconstruction.class);

    private final VolumePaths paths;
    private final VolumePluginManager plugins;

    public Reconstruction(VolumePaths paths, VolumePluginManager plugins) {
        this.paths = paths;
        this.plugins = plugins;
    }

    /**
     * Adds what is on disk to {@code actual}; returns the pod uids that have volumes or subPath binds (a hostPath
     * volume leaves no directory of its own, only its subPath binds), for the reconciler to look at.
     */
    public Set<String> reconstruct(ActualStateOfWorld actual) {
        Set<String> uids = new LinkedHashSet<>();
        for (Path podDir : list(paths.podsDir(), Files::isDirectory)) {
            String uid = podDir.getFileName().toString();
            if (Files.isDirectory(paths.podSubPathsDir(uid))) {
                uids.add(uid);
            }
            if (reconstructUnder(actual, uid, paths.podVolumesDir(uid), Files::isDirectory)
                    | reconstructUnder(actual, uid, paths.podVolumeDevicesDir(uid), Files::isSymbolicLink)) {
                uids.add(uid);
            }
        }
        if (!uids.isEmpty()) {
            log.info("reconstructed {} volumes of {} pods from {}", actual.size(), uids.size(), paths.podsDir());
        }
        return uids;
    }

    /** {@code <base>/kubernetes.io~<plugin>/<name>} entries that pass {@code kind}; true when it found any. */
    private boolean reconstructUnder(ActualStateOfWorld actual, String uid, Path base, Predicate<Path> kind) {
        boolean any = false;
        for (Path pluginDir : list(base, Files::isDirectory)) {
            String pluginName = VolumePaths.unescapePluginName(pluginDir.getFileName().toString());
            Optional<VolumePlugin> plugin = plugins.byName(pluginName);
            if (plugin.isEmpty()) {
                log.warn("pod uid {}: leaving {} alone: no plugin {}", uid, pluginDir, pluginName);
                continue;
            }
            for (Path dir : list(pluginDir, kind)) {
                String key = paths.podDir(uid).relativize(dir).toString();
                actual.markMounted(new Mounted(uid, key, pluginName, dir, dir, plugin.get().readOnly(),
                        Mounted.RECONSTRUCTED));
                any = true;
            }
        }
        return any;
    }

    private static List<Path> list(Path dir, Predicate<Path> kind) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(kind).sorted().toList();
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
            return List.of();
        }
    }
}
