package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

import java.util.Objects;

/**
 * A PV's reference to its claim. An empty {@code uid} means "reserved for the claim of that name" (a user's
 * pre-binding); a set uid means bound to that very claim object, so a re-created claim of the same name is not it.
 */
public record ClaimRef(String namespace, String name, String uid) {
    public ClaimRef {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        uid = uid == null ? "" : uid;
    }

    /** The reference that binds to {@code claim} itself. */
    public static ClaimRef of(PersistentVolumeClaim claim) {
        return new ClaimRef(ClaimKeys.namespace(claim), claim.getMetadata().getName(), claim.getMetadata().getUid());
    }

    /** A PV's spec.claimRef as the user wrote it; null when absent. A missing namespace is "default". */
    public static ClaimRef fromSpec(ObjectReference ref) {
        if (ref == null || ref.getName() == null || ref.getName().isEmpty()) {
            return null;
        }
        String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? "default" : ref.getNamespace();
        return new ClaimRef(ns, ref.getName(), ref.getUid());
    }

    /** The claim key {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }

    public ClaimRef withoutUid() {
        return new ClaimRef(namespace, name, "");
    }

    /** Upstream IsVolumeBoundToClaim: same namespace and name, and the same uid when the reference has one. */
    public boolean refersTo(PersistentVolumeClaim claim) {
        return namespace.equals(ClaimKeys.namespace(claim))
                && name.equals(claim.getMetadata().getName())
                && (uid.isEmpty() || uid.equals(claim.getMetadata().getUid()));
    }
}
