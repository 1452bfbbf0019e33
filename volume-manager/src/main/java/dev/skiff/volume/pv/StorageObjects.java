package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The storage objects the kubelet's sources define, and which claims its pods use. Read-only snapshots. */
public interface StorageObjects {
    List<PersistentVolume> persistentVolumes();

    List<PersistentVolumeClaim> persistentVolumeClaims();

    List<StorageClassSpec> storageClasses();

    /** {@code namespace/name} of every claim an admitted pod's volumes name (for WaitForFirstConsumer, protection). */
    Set<String> claimsInUse();

    /**
     * This node's labels ({@code kubernetes.io/hostname} among them): provisioned volumes get nodeAffinity to the
     * hostname, and a WaitForFirstConsumer claim binds only to a PV whose nodeAffinity they satisfy. Empty: a node
     * without labels (provisioned volumes get no affinity).
     */
    default Map<String, String> nodeLabels() {
        return Map.of();
    }

    /**
     * True once every source has delivered its objects. Until then a claim missing here may just not be read yet:
     * nothing is bound, released or deleted (upstream's controller waits for its informers to sync).
     */
    default boolean synced() {
        return true;
    }
}
