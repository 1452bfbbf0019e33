package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

import java.util.List;
import java.util.Map;

/** Tiny builders for PVs and PVCs in the binder tests. */
final class PvFixtures {
    private PvFixtures() {
    }

    static PersistentVolumeBuilder pv(String name, String size, String... modes) {
        return new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withCapacity(Map.of("storage", new Quantity(size)))
                .withAccessModes(modes.length == 0 ? List.of("ReadWriteOnce") : List.of(modes))
                .withNewHostPath().withPath("/tmp/" + name).endHostPath()
                .endSpec();
    }

    static PersistentVolume preBound(PersistentVolumeBuilder b, String ns, String claim, String uid) {
        return b.editSpec().withClaimRef(new ObjectReferenceBuilder().withKind("PersistentVolumeClaim")
                .withNamespace(ns).withName(claim).withUid(uid).build()).endSpec().build();
    }

    static PersistentVolumeClaimBuilder pvc(String name, String size, String... modes) {
        return new PersistentVolumeClaimBuilder().withNewMetadata().withNamespace("ns").withName(name)
                .withUid("uid-" + name).endMetadata()
                .withNewSpec().withAccessModes(modes.length == 0 ? List.of("ReadWriteOnce") : List.of(modes))
                .withNewResources().withRequests(Map.of("storage", new Quantity(size))).endResources()
                .endSpec();
    }

    static LabelSelector selector(String key, String op, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression().withKey(key).withOperator(op)
                .withValues(values).endMatchExpression().build();
    }
}
