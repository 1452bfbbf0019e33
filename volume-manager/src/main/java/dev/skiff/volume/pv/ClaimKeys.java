package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

/** Claim keys {@code namespace/name}, the way the controller's claim queue names claims. */
public final class ClaimKeys {
    private ClaimKeys() {
    }

    /** The claim's namespace; "default" when the manifest leaves it out. */
    public static String namespace(PersistentVolumeClaim claim) {
        String ns = claim.getMetadata().getNamespace();
        return ns == null || ns.isEmpty() ? "default" : ns;
    }

    public static String key(PersistentVolumeClaim claim) {
        return namespace(claim) + "/" + claim.getMetadata().getName();
    }
}
