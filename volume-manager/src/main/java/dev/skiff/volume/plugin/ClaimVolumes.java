package dev.skiff.volume.plugin;

import io.fabric8.kubernetes.api.model.PersistentVolume;

import java.util.Map;
import java.util.Optional;

/** What a pod's persistentVolumeClaim volume resolves to: the PV its claim is bound to (the PV controller's view). */
public interface ClaimVolumes {
    /** The PV the claim {@code namespace/claimName} is Bound to; empty when the claim is missing or not Bound. */
    Optional<PersistentVolume> boundVolume(String namespace, String claimName);

    /**
     * Why {@link #boundVolume} is empty, for the pod's status, e.g. {@code persistentvolumeclaim "data" not found}
     * or {@code persistentvolumeclaim "data" is not bound}.
     */
    String whyNotBound(String namespace, String claimName);

    /** This node's labels, for the PVs' nodeAffinity (upstream's volume host GetNodeLabels). */
    default Map<String, String> nodeLabels() {
        return Map.of();
    }
}
