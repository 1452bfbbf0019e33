package dev.skiff.kubelet.source;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.Objects;
import java.util.Set;

/** Identity of a non-Pod object: kind, namespace ("" for cluster-scoped kinds) and name. */
public record ObjectKey(String kind, String namespace, String name) {
    /** Kinds that live in a namespace; the others we hold (PersistentVolume, StorageClass) are cluster-scoped. */
    private static final Set<String> NAMESPACED = Set.of("ConfigMap", "Secret", "PersistentVolumeClaim", "Pod", "Service",
            "StatefulSet", "Deployment", "DaemonSet", "Job", "ReplicaSet", "ControllerRevision");

    public ObjectKey {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        // As the API server does: a namespaced object without a namespace lands in "default"; a cluster-scoped
        // one has none, whatever the file says.
        namespace = NAMESPACED.contains(kind) ? (namespace == null || namespace.isEmpty() ? "default" : namespace)
                : "";
    }

    public static ObjectKey of(HasMetadata object) {
        var meta = object.getMetadata();
        return new ObjectKey(object.getKind(), meta == null ? null : meta.getNamespace(),
                meta == null || meta.getName() == null ? "" : meta.getName());
    }

    @Override
    public String toString() {
        return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
    }
}
