package dev.skiff.kubelet.source;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestFilesTest {
    @ParameterizedTest
    @ValueSource(strings = {"pod.yaml", "pod.yml", "pod.json", "POD.YAML", "my.pod.yaml", "pod.bak.yaml"})
    void manifests(String name) {
        assertTrue(ManifestFiles.accepts(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {".pod.yaml", ".pod.yaml.swp", "pod.yaml~", "pod.yaml.swp", "pod.yaml.bak", "pod.yaml.orig",
            "pod.yaml.dpkg-old", "pod.yaml.dpkg-dist", "pod.dpkg-new.yaml", "pod.yaml.ucf-dist", "#pod.yaml#",
            "pod.yaml.rpmnew", "pod.yaml.tmp", "pod.txt", "pod", ".yaml", "yaml"})
    void notManifests(String name) {
        assertFalse(ManifestFiles.accepts(name));
    }
}
