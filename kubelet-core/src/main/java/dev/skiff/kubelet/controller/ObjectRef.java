package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.Objects;

/** An object to delete, by kind, namespace, name and (when known) uid: a stale uid deletes nothing. */
public record ObjectRef(String kind, String namespace, String name, String uid) {
    public ObjectRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    public static ObjectRef of(HasMetadata o) {
        return new ObjectRef(o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName(),
                o.getMetadata().getUid());
    }
}
