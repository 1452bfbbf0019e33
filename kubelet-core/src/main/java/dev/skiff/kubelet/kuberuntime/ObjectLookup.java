package dev.skiff.kubelet.kuberuntime;

import dev.skiff.kubelet.source.ObjectStore;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;

import java.util.Optional;

/** Where env configMapKeyRef/secretKeyRef/envFrom find their objects. */
public interface ObjectLookup {
    Optional<ConfigMap> configMap(String namespace, String name);

    Optional<Secret> secret(String namespace, String name);

    /** Nothing found, ever. */
    static ObjectLookup none() {
        return new ObjectLookup() {
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

    /** Backed by the objects the manifest files define. */
    public static ObjectLookup of(ObjectStore store) {
        return new ObjectLookup() {
            @Override
            public Optional<ConfigMap> configMap(String namespace, String name) {
                return store.get("ConfigMap", namespace, name).filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast);
            }

            @Override
            public Optional<Secret> secret(String namespace, String name) {
                return store.get("Secret", namespace, name).filter(Secret.class::isInstance).map(Secret.class::cast);
            }
        };
    }
}
