package dev.skiff.kubelet;

import dev.skiff.kubelet.source.ObjectStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletStorageObjectsTest {
    private final ObjectStore store = new ObjectStore();
    private final PodManager pods = new PodManager();
    private final KubeletStorageObjects objects = new KubeletStorageObjects(store, pods, () -> true, Map.of());

    private static PersistentVolumeClaim claim(String name, String storageClass) {
        return new PersistentVolumeClaimBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata()
                .withNewSpec().withStorageClassName(storageClass).endSpec().build();
    }

    private PersistentVolumeClaim get(String name) {
        return objects.persistentVolumeClaims().stream().filter(c -> c.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow();
    }

    private void define(HasMetadata... objs) {
        store.replace("file", new ArrayList<>(List.of(objs)));
    }

    @Test
    void anUnsetClassMeansTheDefaultOneAndAnEmptyClassNone() {
        define(new StorageClassBuilder().withNewMetadata().withName("fast")
                        .withAnnotations(Map.of("storageclass.kubernetes.io/is-default-class", "true")).endMetadata()
                        .withProvisioner("skiff.dev/loopback").build(),
                claim("unset", null), claim("empty", ""), claim("slow", "slow"));
        assertEquals("fast", get("unset").getSpec().getStorageClassName());
        assertEquals("", get("empty").getSpec().getStorageClassName());
        assertEquals("slow", get("slow").getSpec().getStorageClassName());
        assertEquals(KubeletStorageObjects.uid(claim("unset", null)), get("unset").getMetadata().getUid(), "a stable uid");
    }

    @Test
    void withoutADefaultClassAnUnsetClassStaysUnset() {
        define(claim("unset", null));
        assertNull(get("unset").getSpec().getStorageClassName());
    }

    @Test
    void aClaimDeletedWhileAPodUsesItStaysUntilThePodGoes() {
        define(claim("data", ""));
        objects.persistentVolumeClaims();
        pods.put(new PodBuilder().withNewMetadata().withNamespace("ns").withName("p").withUid("u1").endMetadata()
                .withNewSpec().addNewVolume().withName("v").withNewPersistentVolumeClaim().withClaimName("data")
                .endPersistentVolumeClaim().endVolume().endSpec().build());
        define();
        assertTrue(objects.persistentVolumeClaims().stream().anyMatch(c -> c.getMetadata().getName().equals("data")));
        pods.remove("u1");
        assertFalse(objects.persistentVolumeClaims().stream().anyMatch(c -> c.getMetadata().getName().equals("data")));
    }
}
