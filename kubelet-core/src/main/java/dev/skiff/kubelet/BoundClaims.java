package dev.skiff.kubelet;

import dev.skiff.volume.plugin.ClaimVolumes;
import dev.skiff.volume.pv.PersistentVolumeController;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

import java.util.Map;
import java.util.Optional;

/** What a pod's persistentVolumeClaim volume mounts: the volume the PV controller bound its claim to, or why none. */
final class BoundClaims implements ClaimVolumes {
    private final PersistentVolumeController controller;

    BoundClaims(PersistentVolumeController controller) {
        this.controller = controller;
    }

    @Override
    public Optional<PersistentVolume> boundVolume(String namespace, String claimName) {
        return controller.boundVolume(namespace, claimName);
    }

    @Override
    public Map<String, String> nodeLabels() {
        return controller.nodeLabels();
    }

    @Override
    public String whyNotBound(String namespace, String claimName) {
        Optional<PersistentVolumeClaim> claim = controller.persistentVolumeClaims().stream()
                .filter(c -> claimName.equals(c.getMetadata().getName()) && namespace.equals(c.getMetadata().getNamespace()))
                .findFirst();
        if (claim.isEmpty()) {
            return "persistentvolumeclaim \"" + claimName + "\" not found";
        }
        Map<String, String> annotations = claim.get().getMetadata().getAnnotations();
        String why = annotations == null ? null : annotations.get(PersistentVolumeController.STATUS_MESSAGE_ANNOTATION);
        return "persistentvolumeclaim \"" + claimName + "\" is not bound" + (why == null || why.isEmpty() ? "" : ": " + why);
    }
}
