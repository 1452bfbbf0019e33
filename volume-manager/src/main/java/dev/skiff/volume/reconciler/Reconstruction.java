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
import java.util.stream.Stream;

/**
 * Rebuilds the actual state of world from the pod directories after a restart (upstream reconstruct.go): every
 * {@code pods/<uid>/volumes/kubernetes.io~<plugin>/<name>} a known plugin owns is taken as set up, at the
 * {@link Mounted#RECONSTRUCTED} generation. The reconciler then adopts it when the pod is still wanted (its setUp
 * keeps a mount that is there, so nothing is remounted) and tears it down when the pod is gone.
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
        for (Path podDir : list(paths.podsDir())) {
            String uid = podDir.getFileName().toString();
            if (Files.isDirectory(paths.podSubPathsDir(uid))) {
                uids.add(uid);
            }
            for (Path pluginDir : list(paths.podVolumesDir(uid))) {
                String pluginName = VolumePaths.unescapePluginName(pluginDir.getFileName().toString());
                Optional<VolumePlugin> plugin = plugins.byName(pluginName);
                if (plugin.isEmpty()) {
                    log.warn("pod uid {}: leaving {} alone: no plugin {}", uid, pluginDir, pluginName);
                    continue;
                }
                for (Path dir : list(pluginDir)) {
                    String name = dir.getFileName().toString();
                    actual.markMounted(new Mounted(uid, name, pluginName, dir, dir, plugin.get().readOnly(),
                            Mounted.RECONSTRUCTED));
                    uids.add(uid);
                }
            }
        }
        if (!uids.isEmpty()) {
            log.info("reconstructed {} volumes of {} pods from {}", actual.size(), uids.size(), paths.podsDir());
        }
        return uids;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
            return List.of();
        }
    }
}
