package dev.skiff.kubelet;

import dev.skiff.kubelet.source.ObjectStore;
import dev.skiff.volume.pv.StorageClassSpec;
import dev.skiff.volume.pv.StorageObjects;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.storage.StorageClass;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The storage objects of the manifest directory for the PV controller, and the claims the admitted pods use. A claim
 * without a uid (a file rarely sets one) gets one derived from its namespace and name, so it is the same claim after a
 * restart, as a static pod's uid is.
 */
final class KubeletStorageObjects implements StorageObjects {
    private static final String DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";

    private final ObjectStore store;
    private final PodManager pods;
    private final BooleanSupplier sourcesReady;

    /** @param sourcesReady true once every pod source has delivered (the sync loop's sourcesReady) */
    KubeletStorageObjects(ObjectStore store, PodManager pods, BooleanSupplier sourcesReady) {
        this.store = store;
        this.pods = pods;
        this.sourcesReady = sourcesReady;
    }

    @Override
    public boolean synced() {
        return sourcesReady.getAsBoolean();
    }

    @Override
    public List<PersistentVolume> persistentVolumes() {
        List<PersistentVolume> out = new ArrayList<>();
        for (HasMetadata o : store.list("PersistentVolume")) {
            out.add((PersistentVolume) o);
        }
        return out;
    }

    @Override
    public List<PersistentVolumeClaim> persistentVolumeClaims() {
        List<PersistentVolumeClaim> out = new ArrayList<>();
        for (HasMetadata o : store.list("PersistentVolumeClaim")) {
            PersistentVolumeClaim c = (PersistentVolumeClaim) o;
            if (c.getMetadata().getUid() == null || c.getMetadata().getUid().isEmpty()) {
                c = new PersistentVolumeClaimBuilder(c).editMetadata().withUid(uid(c)).endMetadata().build();
            }
            out.add(c);
        }
        return out;
    }

    @Override
    public List<StorageClassSpec> storageClasses() {
        List<StorageClassSpec> out = new ArrayList<>();
        for (HasMetadata o : store.list("StorageClass")) {
            StorageClass sc = (StorageClass) o;
            boolean isDefault = sc.getMetadata().getAnnotations() != null
                    && "true".equals(sc.getMetadata().getAnnotations().get(DEFAULT_CLASS));
            out.add(new StorageClassSpec(sc.getMetadata().getName(), sc.getProvisioner() == null ? "" : sc.getProvisioner(),
                    sc.getParameters(), sc.getReclaimPolicy(), sc.getVolumeBindingMode(), isDefault));
        }
        return out;
    }

    @Override
    public Set<String> claimsInUse() {
        Set<String> out = new HashSet<>();
        for (Pod p : pods.admitted()) {
            List<Volume> volumes = p.getSpec() == null ? null : p.getSpec().getVolumes();
            if (volumes == null) {
                continue;
            }
            for (Volume v : volumes) {
                if (v.getPersistentVolumeClaim() != null) {
                    out.add(p.getMetadata().getNamespace() + "/" + v.getPersistentVolumeClaim().getClaimName());
                }
            }
        }
        return out;
    }

    /** A stable uid for a claim defined by a file: its namespace and name, hashed. */
    static String uid(PersistentVolumeClaim c) {
        String ns = c.getMetadata().getNamespace() == null ? "default" : c.getMetadata().getNamespace();
        return UUID.nameUUIDFromBytes(("skiff/persistentvolumeclaim/" + ns + "/" + c.getMetadata().getName())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
