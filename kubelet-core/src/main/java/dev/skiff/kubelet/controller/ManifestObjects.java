package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.Optional;

/** The manifest directory's objects by type, namespace and name (the object store's typed {@code get}). */
@FunctionalInterface
public interface ManifestObjects {
    <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name);
}
