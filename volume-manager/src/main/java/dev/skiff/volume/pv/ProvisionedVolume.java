package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PV that Skiff's loopback provisioner made: everything needed to rebuild the PersistentVolume object after a
 * restart, and nothing else (the binder's status lives in the binding state).
 *
 * @param fsType   the filesystem for {@code spec.local.fsType}; null for volumeMode Block
 * @param hostname the node's {@code kubernetes.io/hostname} for the PV's nodeAffinity, as upstream's local
 *                 provisioner sets it (the backing file is on this node only); null: no affinity (an older record,
 *                 or a node without that label)
 */
record ProvisionedVolume(String name, ClaimRef claim, String capacity, List<String> accessModes, String volumeMode,
                         String storageClassName, String reclaimPolicy, Path backingFile, String fsType,
                         String hostname) {
    static final String BACKING_FILE_ANNOTATION = "skiff.dev/backing-file";

    ProvisionedVolume {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(capacity, "capacity");
        accessModes = List.copyOf(accessModes);
        Objects.requireNonNull(volumeMode, "volumeMode");
        Objects.requireNonNull(storageClassName, "storageClassName");
        Objects.requireNonNull(reclaimPolicy, "reclaimPolicy");
        Objects.requireNonNull(backingFile, "backingFile");
    }

    /** A volume without node affinity. */
    ProvisionedVolume(String name, ClaimRef claim, String capacity, List<String> accessModes, String volumeMode,
                      String storageClassName, String reclaimPolicy, Path backingFile, String fsType) {
        this(name, claim, capacity, accessModes, volumeMode, storageClassName, reclaimPolicy, backingFile, fsType, null);
    }

    /** A fresh PersistentVolume object (callers may change it), pre-bound to its claim so that the binder binds it. */
    PersistentVolume toPersistentVolume() {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(VolumeBinder.PROVISIONED_BY, PersistentVolumeController.LOOPBACK_PROVISIONER);
        annotations.put(BACKING_FILE_ANNOTATION, backingFile.toString());
        return new PersistentVolumeBuilder()
                .withNewMetadata().withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec()
                .withCapacity(Map.of("storage", new Quantity(capacity)))
                .withAccessModes(new ArrayList<>(accessModes))
                .withVolumeMode(volumeMode)
                .withStorageClassName(storageClassName)
                .withPersistentVolumeReclaimPolicy(reclaimPolicy)
                .withNewLocal().withPath(backingFile.toString()).withFsType(fsType).endLocal()
                .withNodeAffinity(hostname == null ? null : NodeAffinities.onHost(hostname))
                .withClaimRef(new ObjectReferenceBuilder().withKind("PersistentVolumeClaim").withApiVersion("v1")
                        .withNamespace(claim.namespace()).withName(claim.name()).withUid(claim.uid()).build())
                .endSpec()
                .build();
    }

    Map<String, Object> toJson() {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("namespace", claim.namespace());
        ref.put("name", claim.name());
        ref.put("uid", claim.uid());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("version", 1L);
        o.put("name", name);
        o.put("claimRef", ref);
        o.put("capacity", capacity);
        o.put("accessModes", new ArrayList<Object>(accessModes));
        o.put("volumeMode", volumeMode);
        o.put("storageClassName", storageClassName);
        o.put("reclaimPolicy", reclaimPolicy);
        o.put("backingFile", backingFile.toString());
        o.put("fsType", fsType);
        if (hostname != null) {
            o.put("hostname", hostname);
        }
        return o;
    }

    /** @throws IllegalArgumentException when {@code json} is not a record written by {@link #toJson} */
    static ProvisionedVolume fromJson(Object json) {
        Map<String, Object> o = object(json, "the top level");
        if (!Long.valueOf(1).equals(o.get("version"))) {
            throw new IllegalArgumentException("unsupported version " + o.get("version"));
        }
        Map<String, Object> ref = object(o.get("claimRef"), "\"claimRef\"");
        List<String> modes = new ArrayList<>();
        if (!(o.get("accessModes") instanceof List<?> l)) {
            throw new IllegalArgumentException("\"accessModes\" is missing or not a list");
        }
        for (Object m : l) {
            if (!(m instanceof String s)) {
                throw new IllegalArgumentException("\"accessModes\" holds a non-string");
            }
            modes.add(s);
        }
        Object fs = o.get("fsType");
        if (fs != null && !(fs instanceof String)) {
            throw new IllegalArgumentException("\"fsType\" is not a string");
        }
        Object host = o.get("hostname");
        if (host != null && !(host instanceof String)) {
            throw new IllegalArgumentException("\"hostname\" is not a string");
        }
        return new ProvisionedVolume(string(o, "name"),
                new ClaimRef(string(ref, "namespace"), string(ref, "name"), string(ref, "uid")),
                string(o, "capacity"), modes, string(o, "volumeMode"), string(o, "storageClassName"),
                string(o, "reclaimPolicy"), Path.of(string(o, "backingFile")), (String) fs, (String) host);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(what + " is not an object");
        }
        return (Map<String, Object>) v;
    }

    private static String string(Map<String, Object> o, String field) {
        if (!(o.get(field) instanceof String s)) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not a string");
        }
        return s;
    }
}
