package dev.skiff.kubelet.source;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectStoreTest {
    private final ObjectStore store = new ObjectStore();

    @Test
    void looksUpByKindNamespaceAndName() {
        store.replace("file", List.of(
                new ConfigMapBuilder().withNewMetadata().withName("cm").endMetadata().addToData("k", "v").build(),
                new SecretBuilder().withNewMetadata().withName("s").withNamespace("kube-system").endMetadata().build(),
                new PersistentVolumeBuilder().withNewMetadata().withName("pv").withNamespace("ignored").endMetadata()
                        .build(),
                new StorageClassBuilder().withNewMetadata().withName("local").endMetadata()
                        .withProvisioner("skiff.dev/local").build()));
        assertEquals("v", store.configMap("default", "cm").orElseThrow().getData().get("k"), "namespace defaulted");
        assertTrue(store.configMap("other", "cm").isEmpty());
        assertTrue(store.secret("kube-system", "s").isPresent());
        assertTrue(store.secret("default", "s").isEmpty());
        assertTrue(store.persistentVolume("pv").isPresent(), "cluster-scoped: namespace ignored");
        assertTrue(store.get("PersistentVolume", "anything", "pv").isPresent());
        assertTrue(store.storageClass("local").isPresent());
        assertEquals(1, store.list("ConfigMap").size());
        assertEquals(4, store.size());
    }

    @Test
    void aSnapshotReplacesItsSourceOnly() {
        store.replace("file", List.of(new ConfigMapBuilder().withNewMetadata().withName("a").endMetadata().build()));
        store.replace("http", List.of(new ConfigMapBuilder().withNewMetadata().withName("b").endMetadata().build()));
        store.replace("file", List.of());
        assertTrue(store.configMap("default", "a").isEmpty());
        assertTrue(store.configMap("default", "b").isPresent());
    }

    @Test
    void firstDefinitionWins() {
        store.replace("file", List.of(
                new ConfigMapBuilder().withNewMetadata().withName("a").endMetadata().addToData("n", "1").build(),
                new ConfigMapBuilder().withNewMetadata().withName("a").endMetadata().addToData("n", "2").build()));
        assertEquals("1", store.configMap("default", "a").orElseThrow().getData().get("n"));
    }
}
