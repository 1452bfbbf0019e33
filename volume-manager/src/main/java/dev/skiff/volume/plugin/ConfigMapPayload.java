package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The files of a configMap volume or projection (upstream pkg/volume/configmap MakePayload). */
public final class ConfigMapPayload {
    private ConfigMapPayload() {
    }

    /** A configMap volume's files; a missing optional ConfigMap gives none. */
    public static Map<String, FileProjection> forVolume(ConfigMapVolumeSource source, String namespace,
                                                        VolumeObjects objects) throws VolumeException {
        int defaultMode = Payloads.mode(source.getDefaultMode(), Payloads.DEFAULT_MODE, "configMap volume defaultMode");
        return make(namespace, source.getName(), source.getItems(), source.getOptional(), defaultMode, objects);
    }

    /** Looks the ConfigMap up and builds its files; {@code configmap "x" not found} unless optional. */
    static Map<String, FileProjection> make(String namespace, String name, List<KeyToPath> items, Boolean optional,
                                            int defaultMode, VolumeObjects objects) throws VolumeException {
        if (name == null || name.isEmpty()) {
            throw new VolumeException("configMap volume: name is required");
        }
        boolean opt = Boolean.TRUE.equals(optional);
        Optional<ConfigMap> cm = objects.configMap(namespace, name);
        if (cm.isEmpty() && !opt) {
            throw new VolumeException("configmap \"" + name + "\" not found");
        }
        return make(items, cm.orElseGet(ConfigMap::new), defaultMode, opt);
    }

    /** Upstream MakePayload for one configMap. */
    static Map<String, FileProjection> make(List<KeyToPath> items, ConfigMap source, int defaultMode, boolean optional)
            throws VolumeException {
        return Payloads.fromKeys(keys(source), items, defaultMode, optional, "configmap references non-existent config key: ", "configMap");
    }

    /** data as UTF-8, binaryData (base64 in the model) decoded; a key in both (the API forbids it) reads as data. */
    private static Map<String, byte[]> keys(ConfigMap cm) throws VolumeException {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        if (cm.getData() != null) {
            cm.getData().forEach((k, v) -> keys.put(k, (v == null ? "" : v).getBytes(StandardCharsets.UTF_8)));
        }
        if (cm.getBinaryData() != null) {
            for (var e : cm.getBinaryData().entrySet()) {
                if (cm.getData() == null || !cm.getData().containsKey(e.getKey())) {
                    keys.put(e.getKey(), Payloads.base64(e.getValue(), "configmap binaryData key " + e.getKey()));
                }
            }
        }
        return keys;
    }
}
