package dev.skiff.volume.pv;

import java.util.Map;
import java.util.Objects;

/**
 * A StorageClass as the manifest directory defines it (the model type is not on this module's classpath).
 *
 * @param name              metadata.name
 * @param provisioner       e.g. {@code skiff.dev/loopback} or {@code kubernetes.io/no-provisioner}
 * @param parameters        provisioner parameters, e.g. {@code fsType: ext4}
 * @param reclaimPolicy     Delete (the default) or Retain, for the volumes it provisions
 * @param volumeBindingMode Immediate (the default) or WaitForFirstConsumer
 * @param isDefault         annotated {@code storageclass.kubernetes.io/is-default-class: "true"}
 */
public record StorageClassSpec(String name, String provisioner, Map<String, String> parameters, String reclaimPolicy,
                               String volumeBindingMode, boolean isDefault) {
    public StorageClassSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(provisioner, "provisioner");
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        reclaimPolicy = reclaimPolicy == null || reclaimPolicy.isEmpty() ? "Delete" : reclaimPolicy;
        volumeBindingMode = volumeBindingMode == null || volumeBindingMode.isEmpty() ? "Immediate" : volumeBindingMode;
    }
}
