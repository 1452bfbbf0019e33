package dev.skiff.volume;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;

import java.util.Optional;

/** Where configMap, secret and projected volumes find their objects (the kubelet's object store). */
public interface VolumeObjects {
    Optional<ConfigMap> configMap(String namespace, String name);

    Optional<Secret> secret(String namespace, String name);

    /** Nothing found, ever. */
    static VolumeObjects none() {
        return new VolumeObjects() {
            @Override
            public Optional<ConfigMap> configMap(String namespace, String name) {
                return Optional.empty();
            }

            @Override
            public Optional<Secret> secret(String namespace, String name) {
                return Optional.empty();
            }
        };
    }
}
