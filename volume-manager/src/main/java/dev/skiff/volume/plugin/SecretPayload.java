package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The files of a secret volume or projection (upstream pkg/volume/secret MakePayload). */
public final class SecretPayload {
    private SecretPayload() {
    }

    /** A secret volume's files; a missing optional Secret gives none. */
    public static Map<String, FileProjection> forVolume(SecretVolumeSource source, String namespace,
                                                        VolumeObjects objects) throws VolumeException {
        int defaultMode = Payloads.mode(source.getDefaultMode(), Payloads.DEFAULT_MODE, "secret volume defaultMode");
        return make(namespace, source.getSecretName(), source.getItems(), source.getOptional(), defaultMode, objects);
    }

    /** Looks the Secret up and builds its files; {@code secret "x" not found} unless optional. */
    static Map<String, FileProjection> make(String namespace, String name, List<KeyToPath> items, Boolean optional,
                                            int defaultMode, VolumeObjects objects) throws VolumeException {
        if (name == null || name.isEmpty()) {
            throw new VolumeException("secret volume: secretName is required");
        }
        boolean opt = Boolean.TRUE.equals(optional);
        Optional<Secret> secret = objects.secret(namespace, name);
        if (secret.isEmpty() && !opt) {
            throw new VolumeException("secret \"" + name + "\" not found");
        }
        return make(items, secret.orElseGet(Secret::new), defaultMode, opt);
    }

    /** Upstream MakePayload for one secret. */
    static Map<String, FileProjection> make(List<KeyToPath> items, Secret source, int defaultMode, boolean optional)
            throws VolumeException {
        return Payloads.fromKeys(data(source), items, defaultMode, optional, "references non-existent secret key: ", "secret");
    }

    /**
     * data (base64 in the model) decoded as bytes, with stringData on top as the API server would merge it: the
     * same reading as the kubelet's env from secrets (PodEnvironment.secretData), but binary-safe.
     */
    static Map<String, byte[]> data(Secret secret) throws VolumeException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (secret.getData() != null) {
            String name = secret.getMetadata() == null ? "" : secret.getMetadata().getName();
            for (var e : secret.getData().entrySet()) {
                out.put(e.getKey(), Payloads.base64(e.getValue(), "secret " + name + " key " + e.getKey()));
            }
        }
        if (secret.getStringData() != null) {
            secret.getStringData().forEach((k, v) -> out.put(k, (v == null ? "" : v).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
