package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Workload objects for tests, written as a user writes them (YAML), with the uid the manager would give. */
final class Manifests {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private Manifests() {}

    static <T extends HasMetadata> T parse(Class<T> type, String yaml) {
        try {
            T o = YAML.readValue(yaml, type);
            if (o.getMetadata().getUid() == null) {
                o.getMetadata().setUid(type.getSimpleName().toLowerCase() + "-" + o.getMetadata().getName() + "-uid");
            }
            if (o.getMetadata().getNamespace() == null) {
                o.getMetadata().setNamespace("default");
            }
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
