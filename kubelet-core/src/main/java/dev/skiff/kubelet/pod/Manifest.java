package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one manifest file holds: at most one Pod (already turned into a static pod: named, defaulted,
 * validated), plus other objects (ConfigMap, Secret, PersistentVolume, PersistentVolumeClaim, StorageClass).
 */
public record Manifest(Path file, Optional<Pod> pod, List<HasMetadata> objects) {
    public Manifest {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pod, "pod");
        objects = List.copyOf(objects);
    }
}
