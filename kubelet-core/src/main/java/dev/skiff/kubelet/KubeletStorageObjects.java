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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The storage objects of the manifest directory for the PV controller, and the claims the admitted pods use. A claim
 * without a uid (a file rarely sets one) gets one derived from its namespace and name, so it is the same claim after a
 * restart, as a static pod's uid is.
 */
final class KubeletStorageObjects implements StorageObjects {
    private static final Logger log = LoggerFactory.getLogger(KubeletStorageObjects.class);
    private static final String DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";

    private final ObjectStore store;
    private final PodManager pods;
    private final BooleanSupplier sourcesReady;
    private final Map<String, String> nodeLabels;
    private Map<String, PersistentVolumeClaim> lastSeen = Map.of();
    private final Set<String> protectedClaims = new HashSet<>();

    /**
     * @param sourcesReady true once every pod source has delivered (the sync loop's sourcesReady)
     * @param nodeLabels   this node's labels (KubeletSettings.nodeLabels: kubernetes.io/hostname among them)
     */
    KubeletStorageObjects(ObjectStore store, PodManager pods, BooleanSupplier sourcesReady, Map<String, String> nodeLabels) {
        this.store = store;
        this.pods = pods;
        this.sourcesReady = sourcesReady;
        this.nodeLabels = Map.copyOf(nodeLabels);
    }

    @Override
    public Map<String, String> nodeLabels() {
        return nodeLabels;
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

    /**
     * The claims of the manifest directory, plus those deleted from it that a pod still uses: they stay until their
     * last pod is gone (upstream's kubernetes.io/pvc-protection finalizer), so the volume is not released under it.
     */
    @Override
    public synchronized List<PersistentVolumeClaim> persistentVolumeClaims() {
        Map<String, PersistentVolumeClaim> now = new LinkedHashMap<>();
        String defaultClass = defaultClass();
        for (HasMetadata o : store.list("PersistentVolumeClaim")) {
            PersistentVolumeClaim c = (PersistentVolumeClaim) o;
            if (c.getMetadata().getUid() == null || c.getMetadata().getUid().isEmpty()) {
                c = new PersistentVolumeClaimBuilder(c).editMetadata().withUid(uid(c)).endMetadata().build();
            }
            if (c.getSpec() != null && c.getSpec().getStorageClassName() == null && defaultClass != null) {
                // upstream's DefaultStorageClass admission: an unset class (not "") means the default one
                c = new PersistentVolumeClaimBuilder(c).editSpec().withStorageClassName(defaultClass).endSpec().build();
            }
            now.put(key(c), c);
        }
        Set<String> inUse = claimsInUse();
        for (Map.Entry<String, PersistentVolumeClaim> e : lastSeen.entrySet()) {
            if (!now.containsKey(e.getKey()) && inUse.contains(e.getKey())) {
                if (protectedClaims.add(e.getKey())) {
                    log.info("pvc {} was deleted but a pod still uses it: kept until its pods are gone (pvc-protection)",
                            e.getKey());
                }
                now.put(e.getKey(), e.getValue());
            }
        }
        protectedClaims.retainAll(inUse);
        lastSeen = now;
        return new ArrayList<>(now.values());
    }

    /** The StorageClass annotated as the default, or null; with several, the last by name (upstream takes the newest; files carry no creation time). */
    private String defaultClass() {
        String found = null;
        for (StorageClassSpec sc : storageClasses()) {
            if (sc.isDefault() && (found == null || sc.name().compareTo(found) > 0)) {
                found = sc.name();
            }
        }
        return found;
    }

    private static String key(PersistentVolumeClaim c) {
        return (c.getMetadata().getNamespace() == null ? "default" : c.getMetadata().getNamespace()) + "/"
                + c.getMetadata().getName();
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
