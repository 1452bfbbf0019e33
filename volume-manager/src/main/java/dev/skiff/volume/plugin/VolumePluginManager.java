package dev.skiff.volume.plugin;

import io.fabric8.kubernetes.api.model.Volume;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The plugins, looked up by the volume they serve or by name (upstream VolumePluginMgr). */
public final class VolumePluginManager {
    private final List<VolumePlugin> plugins;

    public VolumePluginManager(List<VolumePlugin> plugins) {
        this.plugins = List.copyOf(plugins);
    }

    /** The one plugin that serves {@code volume}, or empty when none does. */
    public Optional<VolumePlugin> find(Volume volume) {
        List<VolumePlugin> matches = new ArrayList<>(1);
        for (VolumePlugin p : plugins) {
            if (p.canSupport(volume)) {
                matches.add(p);
            }
        }
        if (matches.size() > 1) {
            throw new IllegalStateException("volume " + volume.getName() + " is served by more than one plugin: "
                    + matches.stream().map(VolumePlugin::name).toList());
        }
        return matches.stream().findFirst();
    }

    public Optional<VolumePlugin> byName(String name) {
        return plugins.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public List<VolumePlugin> all() {
        return plugins;
    }
}
